/* ticketdesk workspace: live refresh of server-rendered regions, presence and typing.
   Everything works without this file; it only saves the reloads. */
(function () {
  "use strict";
  var body = document.body;
  var page = body.dataset.page;
  var t = (document.getElementById("js-i18n") || {dataset: {}}).dataset;
  var lang = document.documentElement.lang || "en";

  function localTimes(root) {
    (root || document).querySelectorAll("time[datetime]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) return;
      try {
        el.textContent = d.toLocaleString(lang, {dateStyle: "short", timeStyle: "short"});
      } catch (e) { /* old browser: keep the server's text */ }
    });
  }

  function toast(text, href) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var el = document.createElement(href ? "a" : "div");
    el.className = "toast";
    el.textContent = text;
    if (href) el.href = href;
    box.appendChild(el);
    setTimeout(function () { el.classList.add("gone"); }, 6000);
    setTimeout(function () { el.remove(); }, 7000);
  }

  /* Re-fetch this page and swap every [data-live] region (never the reply form). */
  var refreshTimer = null, refreshing = false, again = false;
  function refresh() {
    if (refreshTimer) clearTimeout(refreshTimer);
    refreshTimer = setTimeout(doRefresh, 120);
  }
  function doRefresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    var before = {};
    document.querySelectorAll("tr[data-number]").forEach(function (r) { before[r.dataset.number] = true; });
    fetch(location.href, {headers: {"X-Requested-With": "fetch"}, credentials: "same-origin"})
      .then(function (resp) { return resp.ok ? resp.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live]").forEach(function (el) {
          var fresh = el.id && doc.getElementById(el.id);
          if (!fresh) return;
          var openDetails = [];
          el.querySelectorAll("details[open]").forEach(function (d, i) { openDetails.push(i); });
          el.innerHTML = fresh.innerHTML;
          localTimes(el);
        });
        document.querySelectorAll("tr[data-number]").forEach(function (r) {
          if (!before[r.dataset.number]) r.classList.add("fresh");
        });
      })
      .catch(function () { /* offline: the next event retries */ })
      .then(function () {
        refreshing = false;
        if (again) { again = false; refresh(); }
      });
  }

  localTimes();
  if (typeof io === "undefined" || !page) return;

  var socket = io({transports: ["websocket", "polling"]});
  window.ticketdesk = {socket: socket};  // shared with phone.js (one connection per tab)
  setInterval(function () { if (socket.connected) socket.emit("presence.heartbeat"); }, 60000);
  var rooms = [];
  try { rooms = JSON.parse(body.dataset.rooms || "[]"); } catch (e) { rooms = []; }
  var dot = document.getElementById("live-dot");
  socket.on("connect", function () {
    rooms.forEach(function (room) { socket.emit("join", {room: room}); });
    if (dot) { dot.hidden = false; dot.classList.remove("off"); dot.title = ""; }
  });
  socket.on("disconnect", function () {
    if (dot) { dot.classList.add("off"); dot.title = t.offline || ""; }
  });

  var number = body.dataset.number ? parseInt(body.dataset.number, 10) : null;
  var version = body.dataset.version ? parseInt(body.dataset.version, 10) : null;

  function mine(data) { return number !== null && data && data.number === number; }

  if (page === "queue") {
    socket.on("ticket.created", function (d) {
      refresh();
      if (d && d.number) toast((t.newTicket || "New ticket") + " #" + d.number + ": " + (d.subject || ""), "/tickets/" + d.number);
    });
    socket.on("ticket.updated", refresh);
    socket.on("message.created", refresh);
  }

  if (page === "ticket") {
    socket.on("ticket.updated", function (d) {
      if (!mine(d)) return;
      refresh();
      if (version !== null && d.version && d.version > version) {
        var banner = document.getElementById("stale-banner");
        var text = document.getElementById("reply-text");
        if (banner && text && text.value.trim()) banner.hidden = false;
      }
    });
    socket.on("message.created", function (d) { if (mine(d)) refresh(); });

    /* presence: who else has this ticket open, and who is typing */
    var others = {};
    var me = body.dataset.me;
    function renderPresence() {
      var box = document.getElementById("presence");
      if (!box) return;
      var names = [];
      Object.keys(others).forEach(function (id) {
        var o = others[id];
        if (o.state === "typing" && Date.now() - o.at > 8000) o.state = "viewing";
        names.push(o.name + (o.state === "typing" ? " (" + (t.typing || "typing…") + ")" : ""));
      });
      box.hidden = names.length === 0;
      box.textContent = names.length ? (t.alsoHere || "Also here:") + " " + names.join(", ") : "";
    }
    var typing = false, typingTimer = null;
    socket.on("presence", function (d) {
      if (!mine(d) || !d.agent || String(d.agent.id) === me) return;
      var id = String(d.agent.id);
      var known = !!others[id];
      if (d.state === "left") { delete others[id]; }
      else { others[id] = {name: d.agent.name, state: d.state, at: Date.now()}; }
      if (d.state === "viewing" && !known) socket.emit("presence.here", {number: number, typing: typing});
      renderPresence();
    });
    setInterval(renderPresence, 3000);
    var text = document.getElementById("reply-text");
    if (text) {
      text.addEventListener("input", function () {
        if (!typing) { typing = true; socket.emit("typing", {number: number, typing: true}); }
        if (typingTimer) clearTimeout(typingTimer);
        typingTimer = setTimeout(function () {
          typing = false; socket.emit("typing", {number: number, typing: false});
        }, 4000);
      });
    }
  }

  socket.on("ticket.sla_warning", function (d) {
    if (!d || !d.number) return;
    toast("SLA #" + d.number + ": " + (d.kind || "") + " " + (d.state || "") + (d.subject ? " · " + d.subject : ""),
          "/tickets/" + d.number);
  });
  socket.on("sms.alert", function () {
    var banner = document.getElementById("sms-banner");
    if (banner) fetch(window.location.href, {headers: {"X-Requested-With": "fetch"}})
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("sms-banner");
        if (fresh) banner.innerHTML = fresh.innerHTML;
      }).catch(function () {});
  });

  socket.on("call.incoming", function (d) {
    var who = d && d.call && d.call.caller && d.call.caller.contact ? d.call.caller.contact.name : (t.unknownCaller || "");
    var org = d && d.call && d.call.caller && d.call.caller.organization ? " · " + d.call.caller.organization.name : "";
    toast((t.call || "Incoming call") + ": " + who + org + (d && d.from ? " (" + d.from + ")" : ""));
  });
})();

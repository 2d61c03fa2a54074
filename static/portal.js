/* ticketdesk client portal: live refresh of the server-rendered regions when an agent replies or the
   ticket changes. Everything works without this file; it only saves the reloads. */
(function () {
  "use strict";
  var body = document.body;
  var page = body.dataset.portalPage;
  var rooms = [];
  try { rooms = JSON.parse(body.dataset.rooms || "[]"); } catch (e) { rooms = []; }
  var t = (document.getElementById("portal-i18n") || {dataset: {}}).dataset;
  var ticketEl = document.getElementById("ticket");
  var number = ticketEl ? parseInt(ticketEl.dataset.number, 10) : null;

  function typing(el) {
    if (!el.hasAttribute("data-keep-if-typing")) return false;
    var busy = false;
    el.querySelectorAll("textarea, input[type=text], input[type=email]").forEach(function (f) {
      if (f.value && f.value.trim()) busy = true;
    });
    el.querySelectorAll("input[type=file]").forEach(function (f) { if (f.files && f.files.length) busy = true; });
    return busy || el.contains(document.activeElement);
  }

  function toast(text) {
    var box = document.getElementById("toasts");
    if (!box || !text) return;
    var el = document.createElement("div");
    el.className = "toast";
    el.textContent = text;
    box.appendChild(el);
    setTimeout(function () { el.classList.add("gone"); }, 5000);
    setTimeout(function () { el.remove(); }, 6000);
  }

  /* Re-fetch this page and swap every [data-live] region that has an id. */
  var timer = null, running = false, again = false;
  function refresh(note) {
    if (note) toast(note);
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, 150);
  }
  function run() {
    if (running) { again = true; return; }
    running = true;
    var seen = {};
    document.querySelectorAll("[data-message-id]").forEach(function (m) { seen[m.dataset.messageId] = true; });
    fetch(location.pathname + location.search, {headers: {"X-Requested-With": "fetch"}, credentials: "same-origin"})
      .then(function (resp) { return resp.ok && !resp.redirected ? resp.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live]").forEach(function (el) {
          var fresh = el.id && doc.getElementById(el.id);
          if (!fresh || typing(el)) return;
          el.innerHTML = fresh.innerHTML;
        });
        document.querySelectorAll("[data-message-id]").forEach(function (m) {
          if (!seen[m.dataset.messageId]) m.classList.add("fresh");
        });
        document.querySelectorAll("tr[data-number]").forEach(function (r) { r.classList.add("seen"); });
      })
      .catch(function () { /* offline: the next event or reconnect retries */ })
      .then(function () {
        running = false;
        if (again) { again = false; refresh(); }
      });
  }

  if (typeof io === "undefined" || !rooms.length) return;
  var socket = io({transports: ["websocket", "polling"]});
  var dot = document.getElementById("live-dot");
  var connectedBefore = false;
  socket.on("connect", function () {
    var pending = rooms.length;
    rooms.forEach(function (room) {
      socket.emit("join", {room: room}, function (ack) {
        pending -= 1;
        if (pending === 0 && ack && ack.ok) body.dataset.live = "1";
      });
    });
    if (dot) { dot.hidden = false; dot.classList.remove("off"); dot.title = ""; }
    if (connectedBefore) refresh();  /* catch up on what happened while we were away */
    connectedBefore = true;
  });
  socket.on("disconnect", function () {
    body.dataset.live = "0";
    if (dot) { dot.classList.add("off"); dot.title = t.offline || ""; }
  });

  function mine(d) { return number !== null && d && d.number === number; }
  if (page === "ticket") {
    socket.on("message.created", function (d) { if (mine(d)) refresh(t.newMessage); });
    socket.on("ticket.updated", function (d) { if (mine(d)) refresh(); });
  } else if (page === "tickets") {
    socket.on("ticket.created", function () { refresh(); });
    socket.on("ticket.updated", function () { refresh(); });
    socket.on("message.created", function () { refresh(); });
  }
})();

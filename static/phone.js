/* ticketdesk phone popup: when the PBX reports an incoming call (Socket.IO "call.incoming"), show who
   is calling (the server-rendered caller card), check the PIN through the JSON API, open a ticket for
   the caller or attach the call to one of their tickets. Self-contained: it needs the Socket.IO client
   and the #phone-popup element from templates/phone/popup.html. */
(function () {
  "use strict";
  var popup = document.getElementById("phone-popup");
  if (!popup) return;
  var bodyEl = popup.querySelector(".phone-popup-body");
  var cardUrl = popup.getAttribute("data-card-url") || "/phone/calls/__ID__/card";
  var current = null;
  var note = null;  /* the last result shown for the current call: {text, good}; kept across re-renders */

  function cardOf(id) { return cardUrl.replace("__ID__", String(id)); }

  /* Fetch and show the caller card of call `id`, with the last result message for that call. */
  function show(id) {
    if (current !== id) note = null;
    current = id;
    return fetch(cardOf(id), {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
      .then(function (resp) { return resp.ok ? resp.text() : null; })
      .then(function (html) {
        if (html === null || current !== id) return;
        bodyEl.innerHTML = html;
        popup.hidden = false;
        if (note) say(bodyEl, note.text, note.good);
        var first = bodyEl.querySelector("input[autofocus]");
        if (first) first.focus();
      })
      .catch(function () { /* offline: the next event retries */ });
  }

  function say(root, text, good) {
    var box = root.querySelector(".phone-result") || root.querySelector(".phone-status");
    if (!box) return;
    if (box.classList.contains("phone-result")) {
      box.textContent = text;
      box.classList.toggle("good", !!good);
      box.classList.toggle("bad", !good);
    } else {
      var p = document.createElement("p");
      p.className = "phone-result " + (good ? "good" : "bad");
      p.textContent = text;
      box.insertAdjacentElement("afterend", p);
    }
  }

  function fields(form) {
    var data = {};
    new FormData(form).forEach(function (value, key) {
      if (key === "csrf_token" || value === "") return;
      data[key] = (key === "ticket" || key === "contact_id") ? parseInt(value, 10) : value;
    });
    return data;
  }

  function describe(status, body) {
    if (status === 200 || status === 201) {
      if (body && body.ticket) return {text: "Ticket #" + body.ticket.number, good: true};
      return {text: "Caller verified", good: true};
    }
    if (status === 423) {
      var until = body && body.locked_until ? new Date(body.locked_until) : null;
      return {text: "Locked after too many wrong attempts" +
        (until && !isNaN(until) ? " until " + until.toLocaleTimeString() : ""), good: false};
    }
    if (status === 403 && body && body.verified === false) {
      return {text: (body.error && body.error.message ? body.error.message : "Not verified") +
        " — " + body.attempts_left + " attempt" + (body.attempts_left === 1 ? "" : "s") + " left", good: false};
    }
    return {text: body && body.error ? body.error.message : "Something went wrong (" + status + ")", good: false};
  }

  /* Forms in the card go to the JSON API (data-api); without JavaScript they post to the HTML routes. */
  popup.addEventListener("submit", function (ev) {
    var form = ev.target;
    var api = form.getAttribute("data-api");
    if (!api) return;
    ev.preventDefault();
    var card = form.closest(".phone-card");
    var id = card ? parseInt(card.getAttribute("data-call-id"), 10) : current;
    var token = form.querySelector("input[name=csrf_token]");
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    fetch(api, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": token ? token.value : ""},
      body: JSON.stringify(fields(form))
    }).then(function (resp) {
      return resp.json().catch(function () { return null; }).then(function (body) {
        var result = describe(resp.status, body);
        if (resp.status === 201 && body && body.ticket) {
          window.location.href = "/tickets/" + body.ticket.number;
          return;
        }
        note = {text: result.text, good: resp.ok};
        if (resp.ok) { show(id); return; }
        if (button) button.disabled = false;
        var pin = form.querySelector("input[name=pin]");
        if (pin) { pin.value = ""; pin.focus(); }
        say(form, result.text, false);
      });
    }).catch(function () {
      if (button) button.disabled = false;
      say(form, "Network error: try again", false);
    });
  });

  popup.querySelector(".phone-close").addEventListener("click", function () {
    popup.hidden = true;
    current = null;
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && !popup.hidden && popup.contains(document.activeElement)) popup.hidden = true;
  });

  /* The agent is typing into the card: a live refresh now would wipe what they typed. */
  function typing() {
    var el = document.activeElement;
    return !!el && popup.contains(el) && /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) && el.value !== "";
  }

  function callIdOf(data) {
    if (!data) return null;
    if (data.call && data.call.id) return data.call.id;
    return data.id || null;
  }

  function join(socket) {
    socket.emit("join", {room: "agents"}, function (ack) {
      if (ack && ack.ok) popup.setAttribute("data-live", "1");  /* calls will now pop up */
    });
  }

  function listen(socket) {
    socket.on("connect", function () { join(socket); });
    socket.on("disconnect", function () { popup.removeAttribute("data-live"); });
    if (socket.connected) join(socket);
    socket.on("call.incoming", function (data) {
      var id = callIdOf(data);
      if (id) show(id);
    });
    socket.on("call.updated", function (data) {
      if (data && data.id === current && !popup.hidden && !typing()) show(current);
    });
  }

  var shared = window.ticketdesk && window.ticketdesk.socket;
  if (shared) {
    listen(shared);
  } else if (typeof io !== "undefined") {
    listen(io({transports: ["websocket", "polling"]}));
  }
  /* Other code (or a test) can open the popup for a call: ticketdeskPhone.show(callId). */
  window.ticketdeskPhone = {show: show};
})();

// 211 web chat: talks to /gateway/chat over a WebSocket (see chat.go for
// the frames). It keeps the session, its secret and the last message seen
// in sessionStorage, reconnects with a growing delay, and sends again the
// messages not yet acknowledged (the server stores each cid once).
(function () {
  "use strict";
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var log = document.getElementById("chat-log");
  var status = document.getElementById("chat-status");
  if (!form || !window.WebSocket) { return; }
  var lang = document.documentElement.lang === "fr" ? "fr" : "en";
  var words = JSON.parse(document.getElementById("chat-words").textContent);
  var store = window.sessionStorage;
  var state = { session: store.getItem("o211.chat.session") || "", secret: store.getItem("o211.chat.secret") || "",
    last: parseInt(store.getItem("o211.chat.last") || "0", 10), url: store.getItem("o211.chat.url") || "" };
  var pending = {}; // cid -> body, until the server echoes it
  var ws = null, delay = 500, typingSent = 0, seen = {};
  form.hidden = false;
  if (document.getElementById("chat-nojs")) { document.getElementById("chat-nojs").hidden = true; }

  function show(text) { status.textContent = text; }
  function add(m) {
    if (seen[m.seq]) { return; }
    seen[m.seq] = true;
    var li = document.createElement("li");
    li.className = "chat-" + m.from;
    var who = document.createElement("span");
    who.className = "chat-who";
    who.textContent = words[m.from] || m.from;
    var body = document.createElement("span");
    body.textContent = m.body;
    li.appendChild(who); li.appendChild(document.createTextNode(" ")); li.appendChild(body);
    log.appendChild(li);
    state.last = Math.max(state.last, m.seq);
    store.setItem("o211.chat.last", String(state.last));
    if (m.cid) { delete pending[m.cid]; }
    if (document.visibilityState === "visible") { send({ type: "read", seq: state.last }); }
  }
  function send(f) { if (ws && ws.readyState === 1) { ws.send(JSON.stringify(f)); return true; } return false; }
  function connect() {
    var url = state.url || (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/gateway/chat";
    var sock = new WebSocket(url);
    ws = sock;
    show(words.connecting);
    sock.onopen = function () {
      delay = 500;
      send({ type: "hello", session: state.session, secret: state.secret, last: state.last, lang: lang });
    };
    sock.onmessage = function (ev) {
      if (ws !== sock) { return; }
      var f = JSON.parse(ev.data);
      if (f.type === "welcome") {
        state.session = f.session; state.secret = f.secret;
        store.setItem("o211.chat.session", f.session); store.setItem("o211.chat.secret", f.secret);
        show(words.connected);
        Object.keys(pending).forEach(function (cid) { send({ type: "msg", cid: cid, body: pending[cid] }); });
      } else if (f.type === "msg") { add(f); }
      else if (f.type === "typing") { show(words.typing); }
      else if (f.type === "read") { show(words.read); }
      else if (f.type === "moved") {
        // The region that serves the person has the chat now, with the
        // conversation so far: continue there.
        state = { session: f.session, secret: f.secret, last: 0, url: f.url };
        store.setItem("o211.chat.session", f.session); store.setItem("o211.chat.secret", f.secret);
        store.setItem("o211.chat.last", "0"); store.setItem("o211.chat.url", f.url);
        seen = {}; while (log.firstChild) { log.removeChild(log.firstChild); }
        ws = null; sock.close(); delay = 500; connect();
      }
      else if (f.type === "end") { show(words.ended); store.clear(); ws.close(); ws = null; }
      else if (f.type === "error") { show(f.error); }
    };
    sock.onclose = function (ev) {
      if (ws !== sock) { return; }
      if (ev.code === 1008 && state.session) { store.clear(); state = { session: "", secret: "", last: 0, url: "" }; }
      show(words.reconnecting);
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 15000);
    };
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var body = input.value.trim();
    if (!body) { return; }
    var cid = Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
    pending[cid] = body;
    send({ type: "msg", cid: cid, body: body });
    input.value = "";
  });
  input.addEventListener("input", function () {
    var now = Date.now();
    if (now - typingSent > 2000) { typingSent = now; send({ type: "typing" }); }
  });
  connect();
})();

// The live queue page: keeps the part of the page in #queue-live up to
// date from the server's event stream (each event is that part's HTML,
// rendered by the server; the first one on every connection is the whole
// state, so a page that reconnects is right at once), and rings when an
// offer for the navigator appears. Without this script the page works
// with its refresh link and forms.
(function () {
  "use strict";
  var live = document.getElementById("queue-live");
  var status = document.getElementById("queue-live-status");
  if (!live || !window.EventSource) { return; }
  var lastOffer = offerOf(live);
  var pending = null;

  function offerOf(el) {
    var o = el.querySelector("[data-offer]");
    return o ? o.getAttribute("data-offer") : "";
  }

  // busy reports whether the navigator is in one of the part's forms
  // (typing a number, choosing whom to transfer to): the update waits.
  function busy() {
    var a = document.activeElement;
    return a && live.contains(a) && (a.tagName === "INPUT" || a.tagName === "SELECT");
  }

  function ring() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return; }
    try {
      var ctx = new Ctx();
      [0, 0.25].forEach(function (at) {
        var osc = ctx.createOscillator();
        var gain = ctx.createGain();
        osc.frequency.value = 880;
        gain.gain.setValueAtTime(0.2, ctx.currentTime + at);
        gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + at + 0.2);
        osc.connect(gain);
        gain.connect(ctx.destination);
        osc.start(ctx.currentTime + at);
        osc.stop(ctx.currentTime + at + 0.2);
      });
    } catch (e) { /* no sound: the offer is still shown */ }
  }

  function apply(html) {
    live.innerHTML = html;
    var offer = offerOf(live);
    if (offer && offer !== lastOffer) {
      ring();
      var what = document.getElementById("offer-what");
      if (status && what) { status.textContent = what.textContent; }
    }
    lastOffer = offer;
    document.body.setAttribute("data-queue-version", String(Date.now()));
  }

  live.addEventListener("focusout", function () {
    setTimeout(function () {
      if (pending !== null && !busy()) { var h = pending; pending = null; apply(h); }
    }, 0);
  });

  var es = new EventSource(live.getAttribute("data-events"));
  es.addEventListener("open", function () {
    if (status) { status.textContent = live.getAttribute("data-live"); }
    document.body.setAttribute("data-queue-live", "open");
  });
  es.addEventListener("error", function () {
    if (status) { status.textContent = live.getAttribute("data-reconnecting"); }
    document.body.setAttribute("data-queue-live", "reconnecting");
  });
  es.addEventListener("queue", function (ev) {
    if (busy()) { pending = ev.data; return; }
    pending = null;
    apply(ev.data);
  });
})();

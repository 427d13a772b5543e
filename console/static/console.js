// console.js adds to the staff console's pages, which work without it:
// the type-ahead under the need and search fields (an ARIA combobox whose
// choice posts the form with the chosen code or service), the live count
// of follow-ups due, and Alt+letter shortcuts in every browser. (After a
// save, the page's address ends in the id of the field where work goes on:
// the browser puts the focus there, script or not.)
(function () {
  "use strict";

  function debounce(fn, ms) {
    var t;
    return function () { clearTimeout(t); t = setTimeout(fn, ms); };
  }

  // combobox turns the first input of a [data-suggest] wrapper into an
  // ARIA 1.2 combobox with a listbox of suggestions from data-src.
  function combobox(wrap, n) {
    var input = wrap.querySelector("input");
    var form = input && input.form;
    if (!input || !form || !wrap.dataset.src) { return; }
    var list = document.createElement("ul");
    var status = document.createElement("div");
    var listId = input.id + "-list";
    var active = -1;
    list.id = listId;
    list.className = "o211-suggest__list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", wrap.dataset.label || input.id);
    list.hidden = true;
    status.className = "govuk-visually-hidden";
    status.setAttribute("role", "status");
    wrap.appendChild(list);
    wrap.appendChild(status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);

    function options() { return list.querySelectorAll("[role=option]"); }
    function close() {
      list.hidden = true;
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function mark(i) {
      var opts = options();
      if (!opts.length) { return; }
      active = (i + opts.length) % opts.length;
      for (var k = 0; k < opts.length; k++) { opts[k].setAttribute("aria-selected", k === active ? "true" : "false"); }
      input.setAttribute("aria-activedescendant", opts[active].id);
      opts[active].scrollIntoView({ block: "nearest" });
    }
    function choose(opt) {
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = wrap.dataset.name;
      hidden.value = opt.dataset.value;
      form.appendChild(hidden);
      input.value = wrap.dataset.name === "add_need" ? "" : input.value;
      close();
      form.submit();
    }
    var fetchNow = function () {
      var q = input.value.trim();
      if (q.length < 2) { list.innerHTML = ""; close(); return; }
      var url = wrap.dataset.src + "?kind=" + encodeURIComponent(wrap.dataset.suggest) + "&q=" + encodeURIComponent(q);
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) {
          if (input.value.trim() !== q) { return; }
          list.innerHTML = html;
          var opts = options();
          for (var k = 0; k < opts.length; k++) { opts[k].id = listId + "-" + k; }
          active = -1;
          list.hidden = opts.length === 0;
          input.setAttribute("aria-expanded", opts.length ? "true" : "false");
          status.textContent = opts.length ? opts.length + " ▾" : "";
        })
        .catch(function () { close(); });
    };
    input.addEventListener("input", debounce(fetchNow, 120));
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        if (list.hidden) { return; }
        e.preventDefault();
        mark(active + (e.key === "ArrowDown" ? 1 : -1));
      } else if (e.key === "Enter" && !list.hidden && active >= 0) {
        e.preventDefault();
        choose(options()[active]);
      } else if (e.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 200); });
    list.addEventListener("mousedown", function (e) {
      var opt = e.target.closest("[role=option]");
      if (opt) { e.preventDefault(); choose(opt); }
    });
  }

  // refreshCount keeps the navigation's count of follow-ups due current.
  function refreshCount() {
    var el = document.getElementById("followup-count");
    if (!el || !el.dataset.src) { return; }
    setInterval(function () {
      fetch(el.dataset.src, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (t) { if (t !== null && t !== el.textContent) { el.textContent = t === "0" ? "" : t; } })
        .catch(function () {});
    }, 60000);
  }

  // shortcuts makes Alt+letter (and Alt+Shift+letter) press the element
  // whose accesskey is that letter in every browser: a field gets the
  // focus, a link or a button is pressed. Without the script the
  // browser's own accesskey handling does the same where it can.
  function shortcuts() {
    document.addEventListener("keydown", function (e) {
      if (!e.altKey || e.ctrlKey || e.metaKey || !/^Key[A-Z]$/.test(e.code)) { return; }
      var el = document.querySelector('[accesskey="' + e.code.slice(3).toLowerCase() + '"]');
      if (!el) { return; }
      e.preventDefault();
      if (/^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName) && el.type !== "submit") { el.focus(); } else { el.click(); }
    });
  }

  var wraps = document.querySelectorAll("[data-suggest]");
  for (var i = 0; i < wraps.length; i++) { combobox(wraps[i], i); }
  refreshCount();
  shortcuts();
  document.body.classList.add("o211-js"); // the page is enhanced
})();

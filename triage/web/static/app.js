// triage review page: countdowns, keyboard (j/k/e/a), queue place-keeping, placeholder marks.
// All script lives here (the CSP forbids inline scripts).
(function () {
  "use strict";
  var selectedId = sessionStorage.getItem("triage-selected");

  function fmt(ms) {
    var neg = ms < 0, s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    var txt = d ? d + "d " + h + "h" : h ? h + "h " + m + "m" : m + "m " + (s % 60) + "s";
    return neg ? "overdue " + txt : "in " + txt;
  }

  // Countdowns follow the server's clock, not the agent's computer (which may be off).
  var offset = 0;
  function syncClock(el) {
    var s = el && Date.parse(el.getAttribute("data-server-now") || "");
    if (s) offset = s - Date.now();
  }

  function tick() {
    var now = Date.now() + offset;
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (!isNaN(due)) { el.textContent = fmt(due - now); el.title = el.getAttribute("data-due"); }
    });
  }

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#queue-rows tr.row")); }

  function select(row, scroll) {
    rows().forEach(function (r) { r.classList.remove("selected"); r.removeAttribute("aria-selected"); });
    if (!row) return;
    row.classList.add("selected");
    row.setAttribute("aria-selected", "true");
    selectedId = row.getAttribute("data-id");
    sessionStorage.setItem("triage-selected", selectedId);
    if (scroll) row.scrollIntoView({ block: "nearest" });
  }

  function restore() {
    var all = rows();
    var keep = all.filter(function (r) { return r.getAttribute("data-id") === selectedId; })[0];
    select(keep || null, false);
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var i = all.findIndex(function (r) { return r.classList.contains("selected"); });
    var next = i < 0 ? 0 : Math.min(all.length - 1, Math.max(0, i + step));
    select(all[next], true);
  }

  function markPlaceholders() {
    var ta = document.getElementById("draft-text");
    var box = document.getElementById("placeholders");
    var list = document.getElementById("placeholder-list");
    var preview = document.getElementById("draft-preview");
    if (!ta || !box || !list || !preview) return;
    var re = /\[\[\s*fill:\s*([^\]]*?)\s*\]\]/gi, text = ta.value, found = [], m;
    while ((m = re.exec(text)) !== null) found.push(m[1]);
    list.textContent = "";
    found.forEach(function (label) {
      var mark = document.createElement("mark"); mark.className = "fill"; mark.textContent = label;
      list.appendChild(mark); list.appendChild(document.createTextNode(" "));
    });
    preview.textContent = "";
    var last = 0; re.lastIndex = 0;
    while ((m = re.exec(text)) !== null) {
      preview.appendChild(document.createTextNode(text.slice(last, m.index)));
      var mk = document.createElement("mark"); mk.className = "fill"; mk.textContent = m[0];
      preview.appendChild(mk); last = re.lastIndex;
    }
    preview.appendChild(document.createTextNode(text.slice(last)));
    box.classList.toggle("none", found.length === 0);
    var approve = document.getElementById("approve");
    if (approve) approve.setAttribute("aria-disabled", found.length ? "true" : "false");
  }

  function typing(ev) {
    var t = ev.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev)) return;
    var inQueue = !!document.getElementById("queue-rows");
    if (ev.key === "j" || ev.key === "k") {
      if (inQueue) { move(ev.key === "j" ? 1 : -1); }
      else {
        var link = document.getElementById(ev.key === "j" ? "next-link" : "prev-link");
        if (link) window.location.assign(link.getAttribute("href"));
      }
      ev.preventDefault();
    } else if (ev.key === "x" && inQueue) {
      var cur = document.querySelector("#queue-rows tr.selected input[type=checkbox]");
      if (cur) { cur.checked = !cur.checked; ev.preventDefault(); }
    } else if (ev.key === "Enter" && inQueue) {
      var sel = document.querySelector("#queue-rows tr.selected");
      if (sel) { window.location.assign(sel.getAttribute("data-href")); ev.preventDefault(); }
    } else if (ev.key === "e") {
      var ta = document.getElementById("draft-text");
      if (ta) { ta.focus(); ev.preventDefault(); }
    } else if (ev.key === "a") {
      var btn = document.getElementById("approve");
      if (btn) { btn.click(); ev.preventDefault(); }
    }
  });

  document.addEventListener("click", function (ev) {
    var t = ev.target;
    var row = t.closest && t.closest("#queue-rows tr.row");
    if (row && t.tagName !== "A" && t.tagName !== "INPUT") select(row, false);
    // inline images are fetched only when the agent asks for them
    if (t.classList && t.classList.contains("show-image")) {
      var img = document.createElement("img");
      img.className = "inline-image"; img.alt = t.textContent; img.src = t.getAttribute("data-src");
      t.replaceWith(img);
    }
    // a destructive button asks first
    if (t.classList && t.classList.contains("confirm") && !window.confirm(t.getAttribute("data-confirm"))) {
      ev.preventDefault();
    }
    if (t.id === "canned-insert") {
      var pick = document.getElementById("canned-pick"), ta = document.getElementById("draft-text");
      if (!pick || !pick.value || !ta) return;
      fetch(pick.value, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (text) {
          if (!text) return;
          var opt = pick.options[pick.selectedIndex];
          if (opt && opt.getAttribute("data-kind") === "template") {
            // a template is a whole reply (greeting, signature, reference): it replaces the
            // draft, after asking when the agent has already edited it
            if (ta.value !== ta.defaultValue &&
                !window.confirm("Replace your edited reply with this template?")) return;
            ta.value = text;
          } else {
            var at = ta.selectionStart || 0;
            ta.value = ta.value.slice(0, at) + text + ta.value.slice(ta.selectionEnd || at);
          }
          markPlaceholders(); ta.focus();
        });
    }
  });
  document.addEventListener("submit", function (ev) {
    if (ev.target.id === "save-reply") {
      var ta = document.getElementById("draft-text"), hid = document.getElementById("save-reply-text");
      if (ta && hid) hid.value = ta.value;
    }
  });

  document.addEventListener("htmx:afterSwap", function () {
    syncClock(document.getElementById("queue-rows")); restore(); tick();
  });
  document.addEventListener("input", function (ev) { if (ev.target.id === "draft-text") markPlaceholders(); });
  // Pass the CSRF token on htmx requests (they are all GETs today; this keeps writes safe).
  document.addEventListener("htmx:configRequest", function (ev) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) ev.detail.headers["X-CSRF-Token"] = meta.getAttribute("content");
  });

  document.addEventListener("DOMContentLoaded", function () {
    syncClock(document.body); restore(); tick(); markPlaceholders();
    setInterval(tick, 1000);
  });
})();

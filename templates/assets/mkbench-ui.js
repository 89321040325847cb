/* mkbench site script (first-party), part 2: copy buttons, the leaderboard's "Show all columns" toggle, and
   permalinks that keep a page's table state (sort column and direction, filters, columns shown) in the URL's hash,
   so that a copied link reopens the same view. Sorting itself is mkbench.js's: a saved sort is restored by clicking
   the saved header until its aria-sort matches. Runs after mkbench.js on every page (document$ or DOMContentLoaded). */
(function () {
  "use strict";

  var VERSION = (document.querySelector('meta[name="mkbench-version"]') || {}).content || "";

  function readHash() {
    var out = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      if (!kv) return;
      var i = kv.indexOf("=");
      if (i > 0) out[decodeURIComponent(kv.slice(0, i))] = decodeURIComponent(kv.slice(i + 1));
    });
    return out;
  }

  var state = {};
  function writeHash(force) {
    var keys = Object.keys(state).filter(function (k) { return state[k] !== ""; }).sort();
    if (!keys.length && !force) return;
    var h = ["v=" + encodeURIComponent(VERSION)].concat(keys.map(function (k) {
      return encodeURIComponent(k) + "=" + encodeURIComponent(state[k]);
    })).join("&");
    history.replaceState(null, "", location.pathname + location.search + "#" + h);
  }

  function headerKey(th, index) { return th.dataset.key || String(index); }

  function heads(table) {
    return table.tHead ? Array.prototype.slice.call(table.tHead.rows[table.tHead.rows.length - 1].cells) : [];
  }

  function trackSort(table) {
    heads(table).forEach(function (th, i) {
      th.addEventListener("click", function () {
        setTimeout(function () {
          var dir = th.getAttribute("aria-sort");
          if (dir === "ascending" || dir === "descending") {
            state["sort." + table.id] = headerKey(th, i) + "." + (dir === "ascending" ? "a" : "d");
            writeHash();
          }
        }, 0);
      });
    });
  }

  function restoreSort(table, value) {
    var m = /^(.+)\.([ad])$/.exec(value || "");
    if (!m) return;
    var want = m[2] === "a" ? "ascending" : "descending";
    heads(table).forEach(function (th, i) {
      if (headerKey(th, i) !== m[1]) return;
      for (var n = 0; n < 3 && th.getAttribute("aria-sort") !== want; n++) th.click();
    });
    state["sort." + table.id] = value;
  }

  function wireFilters(saved) {
    document.querySelectorAll(".mk-filters[data-table]").forEach(function (box) {
      var id = box.dataset.table;
      box.querySelectorAll("select[data-filter], input[data-filter-text]").forEach(function (el) {
        var key = "filter." + id + "." + (el.dataset.filter || "text");
        if (saved[key] !== undefined) {
          el.value = saved[key];
          el.dispatchEvent(new Event(el.tagName === "SELECT" ? "change" : "input"));
          state[key] = saved[key];
        }
        el.addEventListener(el.tagName === "SELECT" ? "change" : "input", function () {
          state[key] = el.value;
          writeHash();
        });
      });
    });
  }

  function setColumns(table, button, all) {
    if (all) table.setAttribute("data-cols", "all"); else table.removeAttribute("data-cols");
    button.setAttribute("aria-pressed", all ? "true" : "false");
    button.textContent = all ? "Show fewer columns" : "Show all columns";
    state["cols." + table.id] = all ? "all" : "";
  }

  function wireToggles(saved) {
    document.querySelectorAll("[data-mk-toggle-columns]").forEach(function (button) {
      var table = document.getElementById(button.dataset.mkToggleColumns);
      if (!table || button.dataset.ready) return;
      button.dataset.ready = "1";
      if (saved["cols." + table.id] === "all") setColumns(table, button, true);
      button.addEventListener("click", function () {
        setColumns(table, button, table.getAttribute("data-cols") !== "all");
        writeHash();
      });
    });
  }

  function copyText(text, button) {
    function done(ok) {
      var label = button.dataset.label || button.textContent;
      button.dataset.label = label;
      button.textContent = ok ? "Copied" : "Press Ctrl+C to copy";
      button.classList.toggle("mk-copied", ok);
      setTimeout(function () { button.textContent = label; button.classList.remove("mk-copied"); }, 1500);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(fallback(text)); });
    } else {
      done(fallback(text));
    }
  }

  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }

  function wireCopy() {
    document.querySelectorAll("[data-mk-copy]").forEach(function (button) {
      if (button.dataset.ready) return;
      button.dataset.ready = "1";
      button.addEventListener("click", function () {
        var el = document.getElementById(button.dataset.mkCopy);
        if (el) copyText(el.textContent, button);
      });
    });
    document.querySelectorAll("[data-mk-permalink]").forEach(function (button) {
      if (button.dataset.ready) return;
      button.dataset.ready = "1";
      button.addEventListener("click", function () {
        writeHash(true);
        copyText(location.href, button);
      });
    });
  }

  function fillSiteUrl() {
    // the citation's URL when the build had no --site-url: the folder of the page being read (cite.html is at the root)
    document.querySelectorAll("[data-mk-site-url]").forEach(function (span) {
      if (span.textContent.trim() || location.protocol === "file:") return;
      span.textContent = location.href.replace(/[?#].*$/, "").replace(/[^/]*$/, "");
    });
  }

  function init() {
    var saved = readHash();
    state = {};
    document.querySelectorAll("table[data-sortable][id]").forEach(function (table) {
      if (table.dataset.stateReady) return;
      table.dataset.stateReady = "1";
      restoreSort(table, saved["sort." + table.id]);
      trackSort(table);
    });
    wireFilters(saved);
    wireToggles(saved);
    wireCopy();
    fillSiteUrl();
    if (saved.v && VERSION && saved.v !== VERSION) {
      var note = document.createElement("p");
      note.className = "mk-note mk-version-note";
      note.textContent = "This link was made on version " + saved.v + " of the site; you are reading version " +
        VERSION + ". Older versions stay at their versioned addresses when the site is published with --versioned.";
      var h1 = document.querySelector("article h1");
      if (h1) h1.parentNode.insertBefore(note, h1.nextSibling);
    }
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

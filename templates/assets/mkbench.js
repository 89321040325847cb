/* mkbench site script (first-party): renders Vega-Lite charts with the vendored vega-embed, makes tables with
   [data-sortable] sortable by clicking a header (numbers as numbers, text in natural order), and wires the table
   filters. Re-runs on every page
   Material for MkDocs shows (document$), so it also works with instant navigation. */
(function () {
  "use strict";

  // the ~900 KB Vega bundle is loaded only by pages that have a chart, from beside this script
  var SELF = document.currentScript && document.currentScript.src;
  var vegaLoading = null;
  function withVega(done) {
    if (typeof window.vegaEmbed === "function" || !SELF || vegaLoading === true) return done();
    if (!vegaLoading) {
      vegaLoading = [];
      var s = document.createElement("script");
      s.src = SELF.replace(/mkbench\/mkbench\.js(\?.*)?$/, "vendor/vega/vega-bundle.js");
      s.onload = s.onerror = function () {
        var waiting = vegaLoading;
        vegaLoading = true;
        waiting.forEach(function (f) { f(); });
      };
      document.head.appendChild(s);
    }
    vegaLoading.push(done);
  }

  function renderCharts(root) {
    if (!root.querySelector("figure.mk-chart")) return;
    withVega(function () { drawCharts(root); });
  }

  function drawCharts(root) {
    root.querySelectorAll("figure.mk-chart").forEach(function (fig) {
      var target = fig.querySelector(".mk-vega");
      var src = fig.querySelector("script.mk-spec");
      if (!target || !src || target.dataset.rendered) return;
      target.dataset.rendered = "1";
      if (typeof window.vegaEmbed !== "function") { fig.classList.add("mk-nojs"); return; }
      window.vegaEmbed(target, JSON.parse(src.textContent), { actions: false, renderer: "svg" })
        .then(function () { fig.classList.add("mk-rendered"); })
        .catch(function (err) { fig.classList.add("mk-nojs"); console.error("mkbench chart:", err); });
    });
  }

  // sort key of a cell: its data-sort attribute when present, else its text; "" sorts last in both directions
  function cellKey(row, col) {
    var cell = row.cells[col];
    if (!cell) return "";
    var v = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
    return v.trim();
  }

  var NUMBER = /^[-+\u2212]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*%?$/;
  function asNumber(s) {
    return NUMBER.test(s) ? parseFloat(s.replace("\u2212", "-")) : NaN;
  }
  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

  function sortBy(table, th, col) {
    var descending = th.getAttribute("aria-sort") === "ascending";
    var body = table.tBodies[0];
    if (!body) return;
    var rows = Array.prototype.slice.call(body.rows);
    var keys = rows.map(function (r) { return cellKey(r, col); });
    var numeric = th.dataset.sortMethod === "number" ||
      keys.every(function (k) { return k === "" || !isNaN(asNumber(k)); });
    if (numeric) keys = keys.map(function (k) { return isNaN(asNumber(k)) ? "" : k; });  // "–" etc.: last
    var order = rows.map(function (r, i) { return i; });
    order.sort(function (a, b) {
      var ka = keys[a], kb = keys[b];
      if (ka === "" || kb === "") return (ka === "") - (kb === "") || a - b;  // empty last, stable
      var c = numeric ? asNumber(ka) - asNumber(kb) : collator.compare(ka, kb);
      return (descending ? -c : c) || a - b;
    });
    order.forEach(function (i) { body.appendChild(rows[i]); });
    table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }

  function sortTables(root) {
    root.querySelectorAll("table[data-sortable]").forEach(function (table) {
      if (table.dataset.sortReady || !table.tHead) return;
      table.dataset.sortReady = "1";
      var heads = table.tHead.rows[table.tHead.rows.length - 1].cells;
      Array.prototype.forEach.call(heads, function (th, col) {
        if (th.dataset.sortMethod === "none") return;
        th.setAttribute("role", "columnheader");
        th.tabIndex = 0;
        th.addEventListener("click", function () { sortBy(table, th, col); });
        th.addEventListener("keydown", function (e) {
          if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(table, th, col); }
        });
      });
    });
  }

  function wireFilters(root) {
    root.querySelectorAll(".mk-filters[data-table]").forEach(function (box) {
      var table = document.getElementById(box.dataset.table);
      if (!table || box.dataset.ready) return;
      box.dataset.ready = "1";
      var selects = box.querySelectorAll("select[data-filter]");
      var text = box.querySelector("input[data-filter-text]");
      function apply() {
        var needle = text ? text.value.trim().toLowerCase() : "";
        table.querySelectorAll("tbody tr").forEach(function (row) {
          var show = true;
          selects.forEach(function (s) {
            if (s.value && row.getAttribute("data-" + s.dataset.filter) !== s.value) show = false;
          });
          if (needle && row.cells[0].textContent.toLowerCase().indexOf(needle) < 0) show = false;
          row.hidden = !show;
        });
      }
      selects.forEach(function (s) { s.addEventListener("change", apply); });
      if (text) text.addEventListener("input", apply);
    });
  }

  function init() {
    var root = document.querySelector("article") || document;
    sortTables(root);
    wireFilters(root);
    renderCharts(root);
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

/* mkbench site script (first-party): renders Vega-Lite charts with the vendored vega-embed, makes tables with
   [data-sortable] sortable with the vendored tablesort, and wires the table filters. Re-runs on every page
   Material for MkDocs shows (document$), so it also works with instant navigation. */
(function () {
  "use strict";

  function renderCharts(root) {
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

  function sortTables(root) {
    if (typeof window.Tablesort !== "function") return;
    root.querySelectorAll("table[data-sortable]").forEach(function (table) {
      if (table.dataset.sortReady) return;
      table.dataset.sortReady = "1";
      new window.Tablesort(table);
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

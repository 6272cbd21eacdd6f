// rigor's self-check: counts the charts the browser drew (a chart counts when one of its data
// marks has a size on screen) and says so at the foot of the page. The report reads the same
// without it; it sends nothing anywhere.
(function () {
  "use strict";
  var errors = [];
  window.addEventListener("error", function (e) {
    errors.push(String(e.message || (e.target && (e.target.src || e.target.href)) || "error"));
  }, true);
  window.addEventListener("load", function () {
    var charts = document.querySelectorAll("figure.chart");
    var drawn = 0, points = 0;
    charts.forEach(function (figure) {
      var ok = false;
      figure.querySelectorAll(".data").forEach(function (mark) {
        var box = mark.getBBox();
        if (box.width > 0 || box.height > 0) { ok = true; }
        points += Number(mark.getAttribute("data-points") || 1);
      });
      figure.setAttribute("data-drawn", ok ? "yes" : "no");
      if (ok) { drawn += 1; }
    });
    // Flame graphs sit in frames of their own (their script expects a page to itself).
    var flames = document.querySelectorAll("figure.flamegraph iframe");
    var flamesDrawn = 0;
    flames.forEach(function (frame) {
      try {
        var doc = frame.contentDocument;
        if (doc && doc.querySelectorAll("svg g rect").length > 0) { flamesDrawn += 1; }
      } catch (e) { errors.push("flame graph frame: " + e.message); }
    });
    var resources = performance.getEntriesByType("resource").length;
    var root = document.documentElement;
    root.setAttribute("data-charts", String(charts.length));
    root.setAttribute("data-charts-drawn", String(drawn));
    root.setAttribute("data-points", String(points));
    root.setAttribute("data-resources", String(resources));
    root.setAttribute("data-flamegraphs", String(flames.length));
    root.setAttribute("data-flamegraphs-drawn", String(flamesDrawn));
    root.setAttribute("data-errors", String(errors.length));
    var note = document.getElementById("rigor-check");
    if (note) {
      note.textContent = drawn + " of " + charts.length + " charts drawn.";
    }
    console.log("rigor-report: " + drawn + "/" + charts.length + " charts drawn, " +
      points + " data points, " + resources + " requests, " + errors.length + " errors");
  });
})();

// Draws every chart on the page from the JSON embedded beside it (no inline scripts: the CSP forbids them).
(function () {
  function draw() {
    document.querySelectorAll("script[type='application/json'][data-chart]").forEach(function (el) {
      var target = document.getElementById(el.getAttribute("data-chart"));
      if (!target || typeof Plotly === "undefined") { return; }
      var fig = JSON.parse(el.textContent);
      Plotly.newPlot(target, fig.data, fig.layout, {displaylogo: false, responsive: true}).then(function () {
        target.setAttribute("data-drawn", String(fig.data.length));
      });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();

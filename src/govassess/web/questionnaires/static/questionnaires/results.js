// Results per question (share of each option, or how many gave each scale point) and the index per unit.
(function () {
  var q = document.getElementById("question-data");
  var idx = document.getElementById("index-data");
  var draw = window.govassessDraw;
  if (q) {
    JSON.parse(q.textContent).forEach(function (c, i) {
      draw("chart-q-" + (i + 1), {
        title: { text: c.label, left: "center", textStyle: { fontSize: 13 } }, tooltip: {}, animationDuration: 300,
        grid: { left: 45, right: 15, top: 45, bottom: 60 },
        xAxis: { type: "category", data: c.x, axisLabel: { interval: 0, rotate: c.x.length > 4 ? 30 : 0, fontSize: 11 } },
        yAxis: { type: "value", name: c.kind === "share" ? "占比 %" : "回答数", minInterval: 1 },
        series: [{ type: "bar", data: c.y, itemStyle: { color: c.kind === "share" ? "#1e3a8a" : "#a61b1b" } }]
      }, 300);
    });
  }
  if (idx) {
    var d = JSON.parse(idx.textContent);
    draw("chart-index", {
      title: { text: "满意度指数（0–100）", left: "center" }, tooltip: {}, animationDuration: 300,
      grid: { left: 160, right: 20, top: 40, bottom: 30 },
      xAxis: { type: "value", max: 100 },
      yAxis: { type: "category", inverse: true, data: d.units, axisLabel: { width: 150, overflow: "truncate" } },
      series: [{ type: "bar", data: d.index, itemStyle: { color: "#a61b1b" } }]
    }, Math.max(240, 60 + 28 * d.units.length));
  }
})();

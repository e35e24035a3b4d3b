// Scorecard charts drawn with the bundled ECharts (static/govassess/vendor/echarts, Apache-2.0).
(function () {
  var el = document.getElementById("chart-data");
  if (!el || typeof echarts === "undefined") return;
  var d = JSON.parse(el.textContent);
  if (!d) return;
  var draw = window.govassessDraw;  // chartkit.js
  if (d.bar) {
    draw("chart-bar", {
      title: { text: "同类排名", left: "center" },
      tooltip: {}, grid: { left: 140, right: 30, top: 40, bottom: 30 },
      xAxis: { type: "value" },
      yAxis: { type: "category", inverse: true, data: d.bar.names, axisLabel: { interval: 0, fontSize: 11 } },
      series: [{ type: "bar", data: d.bar.scores.map(function (v, i) {
        return { value: v, itemStyle: { color: d.bar.names[i] === d.bar.highlight ? "#a61b1b" : "#9fb3c8" } };
      }) }]
    }, Math.max(380, 80 + 18 * d.bar.names.length));
  }
  if (d.radar) {
    // No average in a class of fewer than 3 units (the server leaves it out: it would give the other's scores).
    var series = [{ name: d.radar.unit_name, value: d.radar.unit }];
    if (d.radar.average) series.push({ name: "同类平均", value: d.radar.average });
    draw("chart-radar", {
      title: { text: "一级指标得分率（%）", left: "center" },
      tooltip: {}, legend: { bottom: 0, data: series.map(function (s) { return s.name; }) },
      radar: { indicator: d.radar.indicators, radius: "60%" },
      series: [{ type: "radar", data: series }]
    });
  }
  if (d.heatmap) {
    draw("chart-heatmap", {
      title: { text: "指标 × 单位 得分率（%）", left: "center" },
      tooltip: { position: "top" }, grid: { left: 160, right: 30, top: 40, bottom: 190 },
      xAxis: { type: "category", data: d.heatmap.units, axisLabel: { rotate: 60, interval: 0, fontSize: 11 } },
      yAxis: { type: "category", data: d.heatmap.indicators },
      visualMap: { min: 0, max: 100, calculable: true, orient: "horizontal", left: "center", bottom: 0 },
      series: [{ type: "heatmap", data: d.heatmap.cells, label: { show: false } }]
    });
  }
})();

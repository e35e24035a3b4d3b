// Leader dashboard charts with the bundled ECharts (static/govassess/vendor/echarts, Apache-2.0).
(function () {
  var el = document.getElementById("overview-data");
  if (!el || typeof echarts === "undefined") return;
  var d = JSON.parse(el.textContent);
  var draw = window.govassessDraw;  // chartkit.js
  // Long unit names get a third of a phone's width, up to 220 px on a desktop.
  var labelWidth = Math.min(220, Math.round(window.innerWidth * 0.3));
  var hasPrevious = d.previous.some(function (v) { return v !== null; });
  var series = [{ name: "本轮总分", type: "bar", data: d.scores, itemStyle: { color: "#a61b1b" } }];
  if (hasPrevious) series.push({ name: "上一轮总分", type: "bar", data: d.previous, itemStyle: { color: "#9fb3c8" } });
  draw("chart-ranking", {
    title: { text: "总分排名", left: "center" },
    tooltip: { trigger: "axis" }, legend: { bottom: 0 },
    grid: { left: labelWidth + 10, right: 20, top: 40, bottom: 40 }, animationDuration: 300,
    xAxis: { type: "value", max: 100 },
    yAxis: { type: "category", inverse: true, data: d.names, axisLabel: { interval: 0, fontSize: 11, width: labelWidth, overflow: "truncate" } },
    series: series
  }, Math.max(380, 90 + (hasPrevious ? 30 : 20) * d.names.length));
  draw("chart-distribution", {
    title: { text: "总分分布（个单位）", left: "center" },
    tooltip: {}, grid: { left: 40, right: 15, top: 40, bottom: 50 }, animationDuration: 300,
    xAxis: { type: "category", data: d.bands, axisLabel: { interval: 0, rotate: 40, fontSize: 10 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ type: "bar", data: d.counts, itemStyle: { color: "#d97706" } }]
  });
})();

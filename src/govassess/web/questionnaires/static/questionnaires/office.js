// The office's progress chart (chartkit.js): counted and set-aside responses per unit against the minimum sample.
(function () {
  var el = document.getElementById("progress-data");
  if (!el) return;
  var d = JSON.parse(el.textContent);
  var labelWidth = Math.min(220, Math.round(window.innerWidth * 0.3));
  window.govassessDraw("chart-progress", {
    tooltip: { trigger: "axis" }, legend: { bottom: 0 }, animationDuration: 300,
    grid: { left: labelWidth + 10, right: 30, top: 20, bottom: 40 },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", inverse: true, data: d.units, axisLabel: { interval: 0, width: labelWidth, overflow: "truncate" } },
    series: [
      { name: "计入", type: "bar", stack: "n", data: d.counted, itemStyle: { color: "#a61b1b" },
        markLine: { symbol: "none", data: [{ xAxis: d.min, name: "最低样本量" }], label: { formatter: "最低样本量 " + d.min } } },
      { name: "可疑（不计入）", type: "bar", stack: "n", data: d.suspicious, itemStyle: { color: "#9fb3c8" } }
    ]
  }, Math.max(240, 60 + 28 * d.units.length));
})();

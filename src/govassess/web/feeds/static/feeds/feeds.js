// Monitoring charts (总量分析, 评价分析 / 区域分析) drawn with the bundled ECharts; no CDN.
(function () {
  var el = document.getElementById("feeds-chart");
  var me = document.getElementById("feeds-js");
  if (!el || !me || typeof echarts === "undefined") return;
  var d = JSON.parse(el.textContent);
  var kind = me.getAttribute("data-kind");
  function draw(id, option) {
    var node = document.getElementById(id);
    if (!node) return;
    var chart = echarts.init(node);
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function stacked(title, months, series) {
    return {
      title: { text: title, left: "center" }, tooltip: { trigger: "axis" }, legend: { top: 28 },
      grid: { top: 70, left: 60, right: 20, bottom: 30 },
      xAxis: { type: "category", data: months }, yAxis: { type: "value", name: "办件数" },
      series: series.map(function (s) { return { name: s.name, type: "bar", stack: "n", data: s.data }; })
    };
  }
  if (kind === "volume") {
    draw("chart-a", stacked("按受理渠道的月度办件量", d.months, d.channel));
    draw("chart-b", stacked("按事项类型的月度办件量", d.months, d.type));
  } else if (kind === "ratings") {
    draw("chart-a", {
      title: { text: "各单位好评率（%）", left: "center" }, tooltip: {},
      grid: { top: 40, left: 60, right: 20, bottom: 60 },
      xAxis: { type: "category", data: d.units, axisLabel: { rotate: 30 } }, yAxis: { type: "value", max: 100 },
      series: [{ type: "bar", data: d.unit_good }]
    });
    draw("chart-b", {
      title: { text: "各区域好评率（%）与平均满意度", left: "center" }, tooltip: { trigger: "axis" }, legend: { top: 28 },
      grid: { top: 70, left: 60, right: 60, bottom: 30 },
      xAxis: { type: "category", data: d.regions },
      yAxis: [{ type: "value", max: 100, name: "好评率" }, { type: "value", min: 1, max: 5, name: "满意度" }],
      series: [{ name: "好评率", type: "bar", data: d.region_good },
               { name: "平均满意度", type: "line", yAxisIndex: 1, data: d.region_mean }]
    });
  }
})();

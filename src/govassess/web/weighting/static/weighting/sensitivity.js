// The rank-interval chart of the sensitivity panel: per unit a bar from its best to its worst rank over the
// samples, and a dot at its published rank (drawn with chartkit.js). While a job runs the page reloads itself.
(function () {
  var panel = document.getElementById("sensitivity");
  if (panel && panel.dataset.active) setTimeout(function () { window.location.reload(); }, 3000);
  var node = document.getElementById("sensitivity-data");
  if (!node || !window.govassessDraw) return;
  var d = JSON.parse(node.textContent);
  if (!d || !d.units || !d.units.length) return;
  var names = d.units.map(function (u) { return u.label; });
  window.govassessDraw("sensitivity-chart", {
    animationDuration: 300,
    tooltip: {
      trigger: "item",
      formatter: function (p) {
        var u = d.units[p.dataIndex];
        return u.label + "<br>公布名次 " + u.rank + "，名次区间 " + u.rank_min + "–" + u.rank_max +
          "<br>保持原名次 " + (100 * u.kept).toFixed(1) + "%";
      }
    },
    legend: { data: ["名次区间", "公布名次"], top: 0 },
    grid: { left: 8, right: 16, top: 28, bottom: 28, containLabel: true },
    xAxis: { type: "value", name: "名次", nameLocation: "middle", nameGap: 22, min: 0, max: d.max_rank + 1,
             minInterval: 1 },
    yAxis: { type: "category", data: names, inverse: true, axisLabel: { width: 160, overflow: "truncate" } },
    series: [
      { type: "bar", stack: "r", silent: true, itemStyle: { color: "transparent" }, tooltip: { show: false },
        data: d.units.map(function (u) { return u.rank_min - 0.5; }) },
      { type: "bar", stack: "r", name: "名次区间", barMaxWidth: 18, itemStyle: { color: "#5b8ff9", opacity: 0.6 },
        data: d.units.map(function (u) { return u.rank_max - u.rank_min + 1; }) },
      { type: "scatter", name: "公布名次", symbolSize: 10, itemStyle: { color: "#d4380d" },
        data: d.units.map(function (u, i) { return [u.rank, i]; }) }
    ]
  }, Math.max(160, 30 * names.length + 70));
})();

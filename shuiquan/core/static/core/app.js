/* Shared page behaviour: ECharts helpers and the Nanyang county map. */
(function () {
  "use strict";
  window.Shuiquan = window.Shuiquan || {};

  /** Render a chart into element `id` from a JSON <script> block `dataId`, once ECharts is loaded. */
  Shuiquan.chart = function (id, option) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) { return null; }
    var chart = echarts.init(el);
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
    el.dataset.rendered = "1";
    return chart;
  };

  /** The Nanyang county map coloured by `data` ([{name, value}]) with a title and unit. */
  Shuiquan.countyMap = function (id, data, opts) {
    opts = opts || {};
    var values = data.map(function (d) { return d.value; }).filter(function (v) { return v !== null; });
    return Shuiquan.chart(id, {
      tooltip: { trigger: "item", formatter: function (p) {
        return p.name + "<br>" + (p.value === undefined || isNaN(p.value) ? "—" : p.value + " " + (opts.unit || ""));
      } },
      visualMap: { min: opts.min !== undefined ? opts.min : Math.min.apply(null, values.concat([0])),
                   max: opts.max !== undefined ? opts.max : Math.max.apply(null, values.concat([1])),
                   text: [opts.highText || "高", opts.lowText || "低"], calculable: true,
                   inRange: { color: opts.colors || ["#e0f3f8", "#74add1", "#313695"] }, left: "left", bottom: 10 },
      series: [{ type: "map", map: "南阳", roam: false, label: { show: true, fontSize: 11 }, data: data }]
    });
  };

  /** Read JSON from <script type="application/json" id="...">. */
  Shuiquan.data = function (id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  };
})();

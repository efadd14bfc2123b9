/* Dashboard charts (Apache ECharts, vendored under static/vendor/echarts).
 *
 * Every chart is an element with data-source (the id of a json_script block) and
 * data-chart (a key in it), plus data-kind saying how to draw it. The same numbers are in
 * an HTML table next to each chart, so without JavaScript nothing is lost.
 * No inline script; buttons with data-print are handled by static/js/site.js.
 */
(function () {
  "use strict";

  var STAR_COLOURS = ["#c62828", "#ef6c00", "#f9a825", "#9e9e9e"];
  var sources = {};

  function source(id) {
    if (!(id in sources)) {
      var el = document.getElementById(id);
      sources[id] = el ? JSON.parse(el.textContent) : null;
    }
    return sources[id];
  }

  function num(v) {
    return v === null || v === undefined || v === "" ? null : Number(v);
  }

  function narrow() {
    return window.innerWidth < 640;
  }

  // Every category keeps its label, even on a phone: "auto" let ECharts drop the ones
  // that overlap, which on 390 px was nearly all. Narrow screens turn them upright and
  // shorten long names (the full name is in the tooltip and the table below).
  var PHONE_WINDOW = 12;

  function axisLabel(labels) {
    var phone = narrow();
    var crowded = labels.length > (phone ? 4 : 10);
    var longest = phone ? 7 : 10;
    return {
      interval: 0,
      hideOverlap: false,
      fontSize: phone ? 10 : 12,
      rotate: crowded ? (phone ? 90 : 40) : 0,
      formatter: function (value) {
        // "一类（100户及以上）" -> "一类": the bracket only repeats the table's detail.
        value = String(value).split(/[（(]/)[0];
        return value.length > longest ? value.slice(0, longest) + "…" : value;
      }
    };
  }

  function base(labels) {
    var option = {
      tooltip: { trigger: "axis" },
      legend: { bottom: 0, type: "scroll" },
      grid: { left: 8, right: 8, top: 16, bottom: 48, containLabel: true },
      xAxis: { type: "category", data: labels, axisLabel: axisLabel(labels) },
      yAxis: { type: "value", axisLabel: { fontSize: narrow() ? 10 : 12 } }
    };
    if (narrow() && labels.length > PHONE_WINDOW) {
      // Too many to read at once on a phone: a window of them, swiped sideways.
      option.dataZoom = [{ type: "inside", startValue: 0, endValue: PHONE_WINDOW - 1, zoomLock: true }];
    }
    return option;
  }

  var builders = {
    // Counts per star level: stacked bars (a snapshot) or lines (a trend over quarters).
    stars: function (d) {
      var o = base(d.labels);
      o.color = STAR_COLOURS;
      o.yAxis.minInterval = 1;
      o.series = d.series.map(function (s) {
        return {
          name: s.name,
          type: d.stack ? "bar" : "line",
          stack: d.stack ? "total" : undefined,
          smooth: !d.stack,
          data: s.data.map(num)
        };
      });
      return o;
    },
    // A settlement's county and own scores over time, with the star thresholds marked.
    history: function (d) {
      var o = base(d.labels);
      o.color = ["#b71c1c", "#0b57d0"];
      o.yAxis.min = function (v) { return Math.max(0, Math.floor(v.min / 10) * 10 - 10); };
      o.series = [
        {
          name: d.names[0], type: "line", data: d.county.map(num),
          markLine: {
            silent: true, symbol: "none", lineStyle: { type: "dashed", color: "#999" },
            label: { formatter: "{b}", position: "insideEndTop" },
            data: [{ yAxis: 90, name: "5★" }, { yAxis: 80, name: "4★" }, { yAxis: 70, name: "3★" }]
          }
        },
        { name: d.names[1], type: "line", data: d.own.map(num) }
      ];
      return o;
    },
    // Points per area, own versus county, for the latest rating.
    areas: function (d) {
      var o = base(d.labels);
      o.color = ["#0b57d0", "#b71c1c"];
      o.series = [
        { name: d.names[0], type: "bar", data: d.own.map(num) },
        { name: d.names[1], type: "bar", data: d.county.map(num) }
      ];
      return o;
    }
  };

  function draw() {
    if (!window.echarts) return;
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var data = source(el.getAttribute("data-source"));
      var build = builders[el.getAttribute("data-kind")];
      var d = data && data[el.getAttribute("data-chart")];
      if (window.echarts.getInstanceByDom(el)) return; // the script was included twice
      if (!d || !build || !d.labels || d.labels.length === 0) {
        el.hidden = true;
        return;
      }
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(build(d));
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();

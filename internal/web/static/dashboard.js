// The dashboard: five ECharts charts over /dashboard/data.json, every figure
// already filtered to the signed-in person's territory by the server. The
// tables under the charts carry the same numbers for people who read them
// (and screen readers). ECharts is embedded (static/vendor/echarts): no CDN.
'use strict';

(function () {
  const root = document.getElementById('dashboard');
  if (!root || typeof echarts === 'undefined') return;
  const palette = ['#1f5fbf', '#2e7d32', '#d48806', '#c62828', '#7b3fb0', '#00838f'];

  function init(id, lang) {
    const el = document.getElementById('chart-' + id);
    if (!el) return null;
    // The canvas renderer: what the screenshots check; no inline styles needed.
    return echarts.init(el, null, { renderer: 'canvas', locale: lang === 'en' ? 'EN' : 'ZH' });
  }

  function bars(c, horizontal, colour) {
    const cat = { type: 'category', data: c.names, axisLabel: { interval: 0, width: 110, overflow: 'truncate' } };
    const val = { type: 'value', minInterval: 1 };
    return {
      color: [colour],
      tooltip: { trigger: 'axis' },
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      xAxis: horizontal ? val : cat,
      yAxis: horizontal ? Object.assign(cat, { inverse: true }) : val,
      series: c.series.map((s, i) => ({ name: c.legend[i], type: 'bar', data: s })),
    };
  }

  function draw(data) {
    const charts = [];
    const ch = data.charts;
    const add = (id, opt) => {
      const chart = init(id, data.lang);
      if (chart) {
        // An empty chart says so rather than showing bare axes.
        if (!ch[id].names.length) {
          opt = { title: { text: data.labels.no_data, left: 'center', top: 'middle', textStyle: { color: '#5f6670', fontSize: 14, fontWeight: 'normal' } } };
        }
        chart.setOption(opt);
        charts.push(chart);
      }
    };
    add('daily', {
      color: palette,
      tooltip: { trigger: 'axis' },
      legend: { data: ch.daily.legend, top: 0 },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: ch.daily.names, axisLabel: { formatter: (v) => v.slice(5) } },
      yAxis: { type: 'value', minInterval: 1 },
      // Opened as bars, closed as a line over them: equal days stay readable.
      series: ch.daily.series.map((s, i) => ({ name: ch.daily.legend[i], type: i === 0 ? 'bar' : 'line', data: s, symbolSize: 4 })),
    });
    add('categories', bars(ch.categories, true, palette[0]));
    add('overdue', bars(ch.overdue, true, palette[3]));
    const ontime = bars(ch.ontime, true, palette[1]);
    ontime.xAxis = { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' } };
    add('ontime', ontime);
    // The choropleth: ECharts' map series over the communities' outlines.
    const cm = ch.communities;
    if (data.areas && data.areas.features.length) {
      echarts.registerMap('xiuhua-communities', data.areas);
      const label = {};
      data.areas.features.forEach((f) => { label[f.properties.name] = f.properties.label; });
      const values = cm.keys.map((k, i) => ({ name: k, value: cm.series[0][i] }));
      add('communities', {
        tooltip: { trigger: 'item', formatter: (p) => (label[p.name] || p.name) + ': ' + (isNaN(p.value) ? 0 : p.value) },
        visualMap: {
          min: 0, max: Math.max(1, ...cm.series[0]), left: 'left', bottom: 0, calculable: true,
          inRange: { color: ['#e3f2fd', '#90caf9', '#1e88e5', '#0d47a1'] }, itemHeight: 80,
        },
        series: [{
          type: 'map', map: 'xiuhua-communities', roam: true, name: cm.legend[0], data: values,
          label: { show: true, formatter: (p) => label[p.name] || p.name, fontSize: 11 },
          itemStyle: { borderColor: '#37474f', borderWidth: 1, areaColor: '#eceff1' },
          emphasis: { label: { show: true }, itemStyle: { areaColor: '#ffd54f' } },
        }],
      });
    } else {
      add('communities', bars(cm, true, palette[0]));
    }
    window.addEventListener('resize', () => charts.forEach((c) => c.resize()));
    // For people and tests: the charts are drawn.
    root.dataset.ready = String(charts.length);
  }

  fetch(root.dataset.src, { credentials: 'same-origin' })
    .then((r) => { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(draw)
    .catch(() => { root.dataset.ready = 'error'; });
})();

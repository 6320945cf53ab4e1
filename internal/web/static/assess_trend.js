// A unit's score trend: an ECharts line chart drawn from the table under
// it (the table is the data; months without a score are gaps). ECharts is
// embedded (static/vendor/echarts).
'use strict';

(function () {
  const el = document.getElementById('trend-chart');
  const table = document.getElementById('trend');
  if (!el || !table || typeof echarts === 'undefined') return;
  const rows = Array.from(table.querySelectorAll('tbody tr'));
  const num = (v) => (v === '' || v === undefined ? null : Number(v));
  const periods = rows.map((r) => r.dataset.period);
  const totals = rows.map((r) => num(r.dataset.total));
  const problems = rows.map((r) => num(r.dataset.problems));
  const chart = echarts.init(el, null, { renderer: 'canvas', locale: el.dataset.lang === 'en' ? 'EN' : 'ZH' });
  chart.setOption({
    animation: false, // drawn at once: screenshots and prints show it whole
    color: ['#c62828', '#1f5fbf'],
    tooltip: { trigger: 'axis' },
    legend: { data: [el.dataset.total, el.dataset.problems], top: 0 },
    grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: periods },
    yAxis: [
      { type: 'value', name: el.dataset.total, min: 0, max: 100 },
      { type: 'value', name: el.dataset.problems, minInterval: 1, splitLine: { show: false } },
    ],
    // The bars first, so the score's line and its labels are drawn over them.
    series: [
      { name: el.dataset.problems, type: 'bar', yAxisIndex: 1, data: problems, barMaxWidth: 18, itemStyle: { opacity: 0.45 } },
      { name: el.dataset.total, type: 'line', data: totals, connectNulls: false, symbol: 'circle', symbolSize: 9, z: 3, label: { show: true, fontSize: 11, position: 'bottom' } },
    ],
  });
  window.addEventListener('resize', () => chart.resize());
  el.dataset.ready = '1';
})();

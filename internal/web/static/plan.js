// Plan pages: a target's history as a small ECharts line (values, the
// forecast to the due date, the goal), and the print button of a
// statement. The data come from the page's data-chart attribute: no inline
// script, no second request. ECharts is embedded (static/vendor/echarts).
'use strict';

(function () {
  const el = document.getElementById('target-chart');
  if (el && typeof echarts !== 'undefined') {
    let d = null;
    try { d = JSON.parse(el.getAttribute('data-chart') || 'null'); } catch (e) { d = null; }
    if (d) {
      const chart = echarts.init(el, null, { renderer: 'canvas', locale: d.lang === 'en' ? 'EN' : 'ZH' });
      const pct = d.measure === 'percent';
      chart.setOption({
        color: ['#1f5fbf', '#d48806', '#2e7d32'],
        tooltip: { trigger: 'axis' },
        legend: { data: [d.labels.value, d.labels.forecast], top: 0 },
        grid: { left: 8, right: 64, top: 32, bottom: 8, containLabel: true },
        xAxis: { type: 'time' },
        yAxis: { type: 'value', min: pct ? 0 : null, max: pct ? 100 : null, axisLabel: pct ? { formatter: '{value}%' } : {} },
        series: [
          {
            name: d.labels.value, type: 'line', data: d.points, symbolSize: 7,
            markLine: { symbol: 'none', lineStyle: { color: '#2e7d32', type: 'solid' }, label: { formatter: d.labels.goal + ' {c}' }, data: [{ yAxis: d.goal }] },
          },
          { name: d.labels.forecast, type: 'line', data: d.forecast, lineStyle: { type: 'dashed' }, symbol: 'emptyCircle', symbolSize: 6 },
        ],
      });
      window.addEventListener('resize', () => chart.resize());
    }
  }
  const print = document.getElementById('do-print');
  if (print) print.addEventListener('click', () => window.print());
})();

// The territory's outlines under a project map (street, then community
// outlines as one zooms in), from the map page's /map/areas.json: where
// there is no basemap they are what one draws against.
function planOutlines(map) {
  const layer = L.geoJSON(null, {
    style: () => ({ color: '#37474f', weight: 1, opacity: 0.6, fillOpacity: 0, interactive: false }),
    onEachFeature: (f, l) => l.bindTooltip(f.properties.name, { permanent: false }),
  }).addTo(map);
  let seq = 0;
  const load = () => {
    const n = ++seq;
    const lv = map.getZoom() >= 14 ? 'community' : 'street';
    fetch('/map/areas.json?level=' + lv + '&bbox=' + map.getBounds().toBBoxString(), { credentials: 'same-origin' })
      .then((r) => r.json())
      .then((fc) => { if (n === seq && fc && fc.features) { layer.clearLayers(); layer.addData(fc); layer.bringToBack(); } })
      .catch(() => {});
  };
  map.on('moveend', load);
  load();
}

// A project's area on a Leaflet map (static/vendor/leaflet), over the
// basemap when one is configured.
(function () {
  const el = document.getElementById('project-map');
  if (!el || typeof L === 'undefined') return;
  let area = null;
  try { area = JSON.parse(el.getAttribute('data-area') || 'null'); } catch (e) { area = null; }
  if (!area) return;
  const map = L.map(el, { zoomSnap: 0.5, maxZoom: 19 });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution || '', maxZoom: 19, subdomains: 'abc' }).addTo(map);
  }
  const layer = L.geoJSON(area, { style: () => ({ color: '#b3261e', weight: 2, fillColor: '#b3261e', fillOpacity: 0.15 }) }).addTo(map);
  map.fitBounds(layer.getBounds(), { padding: [16, 16] });
  planOutlines(map);
})();

// The issue form offers only the chosen unit's targets (all without
// JavaScript: the server refuses another unit's anyway).
(function () {
  const unit = document.getElementById('s-unit');
  if (!unit) return;
  const boxes = Array.from(document.querySelectorAll('#s-targets input[data-unit]'));
  const show = () => {
    boxes.forEach((b) => {
      const mine = b.getAttribute('data-unit') === unit.value;
      b.closest('label').hidden = !mine;
      if (!mine) b.checked = false;
    });
  };
  unit.addEventListener('change', show);
  show();
})();

// Drawing a project's area: each click on the map adds a corner; from three
// corners on, the closed polygon is written to the textarea as GeoJSON
// (which can also be pasted or typed, e.g. from a survey). The textarea is
// the form's field: without JavaScript it is all there is.
(function () {
  if (typeof L === 'undefined') return;
  document.querySelectorAll('textarea[data-draw-area]').forEach((ta) => {
    const el = document.getElementById(ta.getAttribute('data-draw-area'));
    if (!el) return;
    el.hidden = false;
    const map = L.map(el, { zoomSnap: 0.5, maxZoom: 19, doubleClickZoom: false }).setView([31.57, 120.30], 12);
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution || '', maxZoom: 19, subdomains: 'abc' }).addTo(map);
    }
    const style = { color: '#b3261e', weight: 2, fillColor: '#b3261e', fillOpacity: 0.15 };
    let corners = [];
    let shape = null;
    const redraw = () => {
      if (shape) { shape.remove(); shape = null; }
      if (corners.length === 1) shape = L.circleMarker(corners[0], { radius: 4, color: style.color }).addTo(map);
      else if (corners.length === 2) shape = L.polyline(corners, style).addTo(map);
      else if (corners.length > 2) shape = L.polygon(corners, style).addTo(map);
    };
    const write = () => {
      if (corners.length < 3) { ta.value = ''; return; }
      const ring = corners.map((c) => [+c.lng.toFixed(6), +c.lat.toFixed(6)]);
      ring.push(ring[0]);
      ta.value = JSON.stringify({ type: 'Polygon', coordinates: [ring] });
    };
    // What the textarea holds (a Polygon's outer ring) becomes the corners.
    const read = () => {
      corners = [];
      try {
        const g = JSON.parse(ta.value || 'null');
        const ring = g && g.type === 'Polygon' ? g.coordinates[0] : g && g.type === 'MultiPolygon' ? g.coordinates[0][0] : null;
        if (ring) corners = ring.slice(0, -1).map((p) => L.latLng(p[1], p[0]));
      } catch (e) { corners = []; }
      redraw();
      if (corners.length > 2) map.fitBounds(L.latLngBounds(corners), { padding: [16, 16] });
    };
    map.on('click', (e) => { corners.push(e.latlng); redraw(); write(); });
    ta.addEventListener('change', read);
    const clear = document.querySelector('[data-clear-area="' + ta.id + '"]');
    if (clear) clear.addEventListener('click', () => { corners = []; redraw(); write(); });
    // A map in a closed <details> has no size until it opens.
    const details = el.closest('details');
    if (details) details.addEventListener('toggle', () => { map.invalidateSize(); if (corners.length > 2) map.fitBounds(L.latLngBounds(corners), { padding: [16, 16] }); });
    read();
    planOutlines(map);
  });
})();

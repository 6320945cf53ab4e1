// The map: territory outlines by zoom (district → street → community →
// grid) and the open cases in view as dots coloured by state, red when
// overdue. Leaflet is embedded (static/vendor/leaflet): no CDN.
'use strict';

(function () {
  const el = document.getElementById('map');
  if (!el || typeof L === 'undefined') return;
  const d = el.dataset;
  // maxZoom is set here because without a basemap no layer sets it, and clustering needs it.
  const map = L.map(el, { preferCanvas: true, zoomControl: true, zoomSnap: 0.5, maxZoom: 18 }).setView([+d.lat, +d.lon], +d.zoom);
  if (d.bounds) {
    const b = d.bounds.split(',').map(Number);
    map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: [10, 10] });
  }
  if (d.tiles) {
    L.tileLayer(d.tiles, { attribution: d.attribution || '', maxZoom: 18, subdomains: 'abc' }).addTo(map);
  }
  const colours = {
    reported: '#d48806', registered: '#7b3fb0', dispatched: '#1f5fbf', handled: '#00838f',
    verified: '#2e7d32', suspended: '#8d6e63',
  };
  const weights = { district: 3, street: 2, community: 1.5, grid: 1 };
  const outlines = L.geoJSON(null, {
    style: (f) => ({ color: '#37474f', weight: weights[f.properties.level] || 1, opacity: 0.7, fillColor: '#90a4ae', fillOpacity: 0.04 }),
    onEachFeature: (f, layer) => layer.bindTooltip(f.properties.name, { sticky: true }),
  }).addTo(map);
  // Open cases cluster when they crowd; a cluster holding an overdue case is red.
  const dots = L.markerClusterGroup({
    maxClusterRadius: 40,
    showCoverageOnHover: false,
    iconCreateFunction: (cluster) => {
      const n = cluster.getChildCount();
      const late = cluster.getAllChildMarkers().some((m) => m.options.overdue);
      const size = n < 10 ? 'small' : n < 100 ? 'medium' : 'large';
      return L.divIcon({
        html: '<div><span>' + n + '</span></div>',
        className: 'marker-cluster marker-cluster-' + size + (late ? ' cluster-overdue' : ''),
        iconSize: L.point(40, 40),
      });
    },
  }).addTo(map);

  function level(z) {
    if (z <= 11) return 'district';
    if (z <= 13) return 'street';
    if (z <= 15) return 'community';
    return 'grid';
  }

  function popup(p) {
    const box = document.createElement('div');
    const a = document.createElement('a');
    a.href = '/cases/' + p.id;
    a.textContent = p.code;
    const b = document.createElement('b');
    b.textContent = ' ' + p.state_name + (p.overdue ? ' · ' + d.tOverdue : '');
    const cat = document.createElement('div');
    cat.textContent = p.category;
    const desc = document.createElement('div');
    desc.textContent = p.description;
    box.append(a, b, cat, desc);
    if (p.approx) {
      const note = document.createElement('div');
      note.className = 'approx-note';
      note.textContent = d.tApprox;
      box.append(note);
    }
    return box;
  }

  let seq = 0;
  function load() {
    const n = ++seq;
    const bbox = map.getBounds().toBBoxString();
    const lv = level(map.getZoom());
    Promise.all([
      fetch('/map/areas.json?level=' + lv + '&bbox=' + bbox, { credentials: 'same-origin' }).then((r) => r.json()),
      fetch('/map/cases.json?bbox=' + bbox, { credentials: 'same-origin' }).then((r) => r.json()),
    ]).then(([areas, cases]) => {
      if (n !== seq) return;
      outlines.clearLayers();
      outlines.addData(areas);
      dots.clearLayers();
      // Overdue last, so they are drawn on top.
      cases.features.sort((a, b) => Number(a.properties.overdue) - Number(b.properties.overdue));
      cases.features.forEach((f) => {
        const p = f.properties;
        const c = f.geometry.coordinates;
        const colour = p.overdue ? '#c62828' : (colours[p.state] || '#455a64');
        // A position located from an address is only near the place: a
        // dashed brown ring says so.
        L.circleMarker([c[1], c[0]], {
          radius: p.overdue ? 7 : 6, fillColor: colour, fillOpacity: 0.9, overdue: p.overdue,
          color: p.overdue ? '#7f0000' : (p.approx ? '#7a4a00' : '#ffffff'),
          weight: p.overdue || p.approx ? 2 : 1, dashArray: p.approx ? '3 2' : null,
        }).bindPopup(popup(p)).addTo(dots);
      });
      // For people and tests: what the map shows now.
      el.dataset.level = lv;
      el.dataset.areas = String(areas.features.length);
      el.dataset.cases = String(cases.features.length);
    }).catch(() => {});
  }
  let timer = 0;
  map.on('moveend', () => { clearTimeout(timer); timer = setTimeout(load, 150); });
  load();
})();

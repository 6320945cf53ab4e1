// The points page's map: the points listed (as filtered) are shown on the
// map the new point is tapped on; a point's marker opens it for changing.
// The table stays the list; this only draws it.
'use strict';

(function () {
  const el = document.getElementById('pick-map');
  const table = document.getElementById('points');
  if (!el || !table || typeof L === 'undefined') return;
  function draw() {
    const map = el.xhMap;
    if (!map) return false;
    const layer = L.featureGroup().addTo(map);
    table.querySelectorAll('tbody tr[data-point]').forEach((tr) => {
      const lat = parseFloat(tr.dataset.lat), lon = parseFloat(tr.dataset.lon);
      if (isNaN(lat) || isNaN(lon)) return;
      const m = L.circleMarker([lat, lon], { radius: 6, color: '#fff', weight: 1.5, fillColor: '#1f5fbf', fillOpacity: 0.9 });
      m.bindTooltip(tr.dataset.point + ' ' + (tr.dataset.name || ''));
      const edit = tr.querySelector('a[href*="edit="]');
      if (edit) m.on('click', (e) => { L.DomEvent.stopPropagation(e); window.location = edit.href; });
      m.addTo(layer);
    });
    // With no point being placed, show them all.
    if (layer.getLayers().length && !document.getElementById('lat').value) map.fitBounds(layer.getBounds().pad(0.2), { maxZoom: 16 });
    el.dataset.points = String(layer.getLayers().length);
    return true;
  }
  if (!draw()) window.addEventListener('load', draw);
})();

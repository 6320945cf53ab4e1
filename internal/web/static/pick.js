// The report form's map: tap where the problem is, and the latitude and
// longitude fields take the point (and the grid lookup follows). The
// fields stay the source of truth: typing in them moves the pin.
'use strict';

(function () {
  const el = document.getElementById('pick-map');
  const lat = document.getElementById('lat');
  const lon = document.getElementById('lon');
  if (!el || !lat || !lon || typeof L === 'undefined') return;
  const map = L.map(el, { zoomSnap: 0.5 });
  const b = (el.dataset.bounds || '').split(',').map(Number);
  if (b.length === 4 && b.every((x) => !isNaN(x))) {
    map.fitBounds([[b[0], b[1]], [b[2], b[3]]]);
  } else {
    map.setView([31.57, 120.3], 11);
  }
  // The territory's outlines, so the tap has landmarks even without a basemap.
  const outlines = L.geoJSON(null, { style: { color: '#37474f', weight: 1, opacity: 0.6, fillOpacity: 0.03 }, interactive: false }).addTo(map);
  function outline() {
    const z = map.getZoom();
    const level = z <= 11 ? 'district' : z <= 13 ? 'street' : z <= 15 ? 'community' : 'grid';
    fetch('/map/areas.json?level=' + level + '&bbox=' + map.getBounds().toBBoxString(), { credentials: 'same-origin' })
      .then((r) => r.json()).then((fc) => { outlines.clearLayers(); outlines.addData(fc); }).catch(() => {});
  }
  map.on('moveend', outline);
  outline();
  let pin = null;
  function place(la, lo, pan) {
    if (isNaN(la) || isNaN(lo)) return;
    if (!pin) pin = L.circleMarker([la, lo], { radius: 8, color: '#fff', weight: 2, fillColor: '#c62828', fillOpacity: 1 }).addTo(map);
    pin.setLatLng([la, lo]);
    if (pan) map.setView([la, lo], Math.max(map.getZoom(), 16));
  }
  let tapped = false;
  map.on('click', (e) => {
    lat.value = e.latlng.lat.toFixed(6);
    lon.value = e.latlng.lng.toFixed(6);
    tapped = true; // a tap keeps the view where the person put it
    lat.dispatchEvent(new Event('change'));
    tapped = false;
  });
  [lat, lon].forEach((f) => f.addEventListener('change', () => place(parseFloat(lat.value), parseFloat(lon.value), !tapped)));
  if (lat.value && lon.value) place(parseFloat(lat.value), parseFloat(lon.value), true);
  el.xhMap = map; // for a page's own layers (assess_points.js)
  el.dataset.ready = '1';
})();

// A project's area on a Leaflet map: the polygon from data-area (GeoJSON),
// fitted to the view. Without tiles the map is a plain canvas.
(function () {
  'use strict';
  var el = document.getElementById('project-map');
  if (!el || !window.L) { return; }
  var area;
  try { area = JSON.parse(el.dataset.area); } catch (e) { return; }
  var map = L.map(el, { zoomControl: true, scrollWheelZoom: false });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution || '' }).addTo(map);
  }
  var layer = L.geoJSON(area, { style: { color: '#0b5cad', weight: 2, fillOpacity: 0.2 } }).addTo(map);
  map.fitBounds(layer.getBounds(), { padding: [12, 12] });
  el.dataset.ready = '1';
})();

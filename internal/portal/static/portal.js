// The report form: pin the place on a Leaflet map or take the phone's
// location (both fill the lat/lon fields, which work without script too),
// and preview the chosen photos.
(function () {
  'use strict';
  var el = document.getElementById('map');
  var lat = document.getElementById('lat');
  var lon = document.getElementById('lon');
  if (el && window.L && lat && lon) {
    var map = L.map(el, { zoomControl: true }).setView([+el.dataset.lat, +el.dataset.lon], +el.dataset.zoom || 12);
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution || '' }).addTo(map);
    }
    L.Icon.Default.imagePath = '/public/static/vendor/leaflet/images/';
    var marker = null;
    var pin = function (la, lo, pan) {
      lat.value = la.toFixed(6);
      lon.value = lo.toFixed(6);
      if (marker) { marker.setLatLng([la, lo]); } else { marker = L.marker([la, lo]).addTo(map); }
      if (pan) { map.setView([la, lo], Math.max(map.getZoom(), 16)); }
    };
    if (lat.value && lon.value && isFinite(+lat.value) && isFinite(+lon.value)) { pin(+lat.value, +lon.value, true); }
    map.on('click', function (e) { pin(e.latlng.lat, e.latlng.lng, false); });
    var onInput = function () {
      if (isFinite(+lat.value) && isFinite(+lon.value) && lat.value && lon.value) { pin(+lat.value, +lon.value, true); }
    };
    lat.addEventListener('change', onInput);
    lon.addEventListener('change', onInput);
    var btn = document.getElementById('locate');
    var status = document.getElementById('locate-status');
    if (btn) {
      btn.addEventListener('click', function () {
        if (!navigator.geolocation) { status.textContent = btn.dataset.fail; return; }
        status.textContent = btn.dataset.wait;
        navigator.geolocation.getCurrentPosition(function (p) {
          pin(p.coords.latitude, p.coords.longitude, true);
          status.textContent = btn.dataset.ok;
        }, function () { status.textContent = btn.dataset.fail; }, { enableHighAccuracy: true, timeout: 15000 });
      });
    }
  }
  var photos = document.getElementById('photos');
  var previews = document.getElementById('previews');
  if (photos && previews && window.URL) {
    photos.addEventListener('change', function () {
      previews.textContent = '';
      var max = +photos.dataset.max || 3;
      if (photos.files.length > max) {
        var p = document.createElement('p');
        p.className = 'hint';
        p.textContent = photos.dataset.toomany;
        previews.appendChild(p);
      }
      for (var i = 0; i < photos.files.length; i++) {
        var img = document.createElement('img');
        img.alt = photos.files[i].name;
        img.src = URL.createObjectURL(photos.files[i]);
        previews.appendChild(img);
      }
    });
  }
})();

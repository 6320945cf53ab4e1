// xiuhua console: the few things only the browser can do. Every form works
// without this file; it adds device location, the category search, photo
// previews and a guard against double submits.
'use strict';

(function () {
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  // Messages come from the locale files through the body's data-t-* attributes.
  const data = document.body.dataset;
  const msg = {
    locating: data.tLocating || '', denied: data.tDenied || '', unsupported: data.tUnsupported || '',
    located: data.tLocated || '', photos: data.tPhotos || '',
  };

  // Elements that only make sense with JavaScript are hidden in the HTML.
  $$('.js-only').forEach((el) => { el.hidden = false; });

  // Where is this point: ask the server which grid it falls in.
  let locateSeq = 0;
  function locate() {
    const lat = $('#lat'), lon = $('#lon'), out = $('#located');
    if (!lat || !lon || !out || !lat.value || !lon.value) return;
    const seq = ++locateSeq;
    fetch('/locate?lat=' + encodeURIComponent(lat.value) + '&lon=' + encodeURIComponent(lon.value), { credentials: 'same-origin' })
      .then((r) => r.json())
      .then((j) => {
        if (seq !== locateSeq) return;
        out.textContent = j.error || (j.text + (j.warning ? ' — ' + j.warning : ''));
        out.className = 'located' + (j.error || j.warning ? ' bad' : ' good');
      })
      .catch(() => {});
  }
  $$('[data-locate]').forEach((el) => el.addEventListener('change', locate));
  if ($('#located')) locate();

  // Device location.
  $$('[data-geolocate]').forEach((btn) => {
    btn.addEventListener('click', () => {
      const status = $('#geo-status');
      const say = (t) => { if (status) status.textContent = t; };
      if (!navigator.geolocation) { say(msg.unsupported); return; }
      say(msg.locating);
      btn.disabled = true;
      navigator.geolocation.getCurrentPosition((pos) => {
        btn.disabled = false;
        $('#lat').value = pos.coords.latitude.toFixed(6);
        $('#lon').value = pos.coords.longitude.toFixed(6);
        say(msg.located.replace('%d', Math.round(pos.coords.accuracy)));
        if (btn.hasAttribute('data-submit')) { btn.form.submit(); return; }
        // As if typed: the grid lookup and the map follow.
        $('#lat').dispatchEvent(new Event('change'));
      }, (err) => {
        btn.disabled = false;
        say(msg.denied + err.message);
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
    });
  });

  // Category search by code, Chinese or English name, or pinyin initials.
  $$('[data-filter]').forEach((input) => {
    const select = document.getElementById(input.getAttribute('data-filter'));
    if (!select) return;
    input.addEventListener('input', () => {
      const q = input.value.trim().toLowerCase();
      let first = null;
      Array.from(select.options).forEach((o) => {
        const hay = o.getAttribute('data-search') || '';
        const words = hay.split(' ');
        const hit = !q || hay.indexOf(q) >= 0 || words.some((w) => w.startsWith(q));
        o.hidden = !hit;
        if (hit && !first) first = o;
      });
      if (first && (select.selectedIndex < 0 || select.options[select.selectedIndex].hidden)) first.selected = true;
    });
  });

  // Previews of the photos about to be uploaded.
  $$('input[type=file][data-preview]').forEach((input) => {
    const out = document.getElementById(input.getAttribute('data-preview'));
    input.addEventListener('change', () => {
      if (!out) return;
      out.textContent = '';
      Array.from(input.files).forEach((f) => {
        if (!f.type.startsWith('image/')) return;
        const img = document.createElement('img');
        img.src = URL.createObjectURL(f);
        img.alt = f.name;
        img.width = 96;
        img.height = 72;
        out.appendChild(img);
      });
      const note = document.createElement('span');
      note.textContent = msg.photos.replace('%d', input.files.length);
      out.appendChild(note);
    });
  });

  // One submit per form: a second tap while uploading would act twice
  // (the server refuses the stale version, but the person sees an error).
  $$('form[method=post]').forEach((form) => {
    form.addEventListener('submit', () => {
      setTimeout(() => $$('button[type=submit]', form).forEach((b) => { b.disabled = true; }), 0);
    });
  });
})();

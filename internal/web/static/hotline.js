// The hotline import's progress: polls the job's status and moves the bar;
// when the job ends, the page is loaded again with its report.
(function () {
  'use strict';
  var box = document.getElementById('hotline-job');
  if (!box || !box.dataset.status) return;
  var bar = document.getElementById('hotline-progress');
  var pct = document.getElementById('hotline-percent');
  var count = document.getElementById('hotline-count');
  var url = box.dataset.status;
  var failures = 0;
  function tick() {
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' }, cache: 'no-store' })
      .then(function (r) {
        if (!r.ok) throw new Error('status ' + r.status);
        return r.json();
      })
      .then(function (s) {
        failures = 0;
        bar.value = s.percent;
        bar.textContent = s.percent + '%';
        pct.textContent = s.percent + '%';
        if (count && s.total > 0) {
          var n = 0, args = [s.done, s.total];
          count.textContent = count.dataset.format.replace(/%d/g, function () { return String(args[n++]); });
        }
        if (s.state === 'running') {
          setTimeout(tick, 300);
        } else {
          box.dataset.state = s.state;
          window.location.reload();
        }
      })
      .catch(function () {
        failures++;
        if (failures < 20) setTimeout(tick, 1500);
      });
  }
  tick();
})();

// The scheme editor: add and remove indicator rows (a child goes after its
// parent's last descendant), add and remove deduction rules, and keep the
// tree's look and the leaves' total in step with the depths typed. The
// form works without this file: the server pads it with blank rows.
'use strict';

(function () {
  const rows = document.getElementById('ind-rows');
  const tplInd = document.getElementById('tpl-ind');
  const tplRule = document.getElementById('tpl-rule');
  const total = document.getElementById('marks-total');
  if (!rows || !tplInd || !tplRule) return;
  let seq = 0;

  // A copy of a template with fresh keys, its JavaScript-only buttons shown.
  function fresh(tpl, key) {
    const id = 'n' + (++seq);
    const html = tpl.innerHTML.split('__K__').join(key || id).split('__R__').join(id);
    const box = document.createElement(tpl === tplRule ? 'tbody' : 'div');
    box.innerHTML = html;
    const el = box.firstElementChild;
    el.querySelectorAll('.js-only').forEach((b) => { b.hidden = false; });
    return el;
  }
  const inds = () => Array.from(rows.querySelectorAll(':scope > .ind'));
  const depthOf = (el) => parseInt(el.querySelector('select.depth').value, 10) || 1;

  // Branches (rows followed by a deeper one) add up their children: their
  // marks are shown, not typed, and they carry no rules.
  function refresh() {
    const list = inds();
    const sums = list.map(() => 0);
    let sum = 0, bad = false;
    for (let i = list.length - 1; i >= 0; i--) {
      const el = list[i], d = depthOf(el);
      const branch = i + 1 < list.length && depthOf(list[i + 1]) > d;
      el.classList.toggle('branch', branch);
      // A branch still holding a leaf's types or rules shows them, so the refusal they earn can be seen.
      el.classList.toggle('has-leaf-data', branch && (!!el.querySelector('.leaf-only input[type=checkbox]:checked') ||
        Array.from(el.querySelectorAll('.leaf-only input[name=d_points], .leaf-only input[name=d_cat]')).some((f) => f.value !== '')));
      for (let k = 1; k <= 4; k++) el.classList.toggle('depth-' + k, k === d);
      const marks = el.querySelector('input.marks');
      marks.readOnly = branch;
      if (branch) {
        let s = 0;
        for (let j = i + 1; j < list.length && depthOf(list[j]) > d; j++) {
          if (depthOf(list[j]) === d + 1) s += sums[j];
        }
        sums[i] = s;
        marks.value = (s / 100).toFixed(2);
      } else {
        const v = marks.value.trim();
        const n = v === '' ? 0 : Math.round(parseFloat(v) * 100);
        if (v !== '' && !/^\d+(\.\d{1,2})?$/.test(v)) bad = true;
        sums[i] = isNaN(n) ? 0 : n;
        sum += sums[i];
      }
    }
    if (total) {
      total.value = bad ? '—' : (sum / 100).toFixed(2);
      total.classList.toggle('bad', bad || sum !== 10000);
    }
  }

  function addRule(ind) {
    const r = fresh(tplRule, ind.dataset.key);
    ind.querySelector('table.rules tbody').appendChild(r);
    r.querySelector('input[name=d_cat]').focus();
  }

  rows.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-act]');
    if (!b) return;
    const ind = b.closest('.ind');
    switch (b.dataset.act) {
      case 'rule':
        addRule(ind);
        break;
      case 'remove-rule':
        b.closest('tr').remove();
        refresh();
        break;
      case 'remove': {
        // The row and its descendants.
        const list = inds(), i = list.indexOf(ind), d = depthOf(ind);
        for (let j = i + 1; j < list.length && depthOf(list[j]) > d; j++) list[j].remove();
        ind.remove();
        refresh();
        break;
      }
      case 'up':
      case 'down': {
        // The row and its descendants swap places with the sibling block before or after.
        const list = inds(), i = list.indexOf(ind), d = depthOf(ind);
        const end = (from) => { let j = from + 1; while (j < list.length && depthOf(list[j]) > d) j++; return j; };
        const e = end(i);
        let at = null;
        if (b.dataset.act === 'up') {
          let k = i - 1;
          while (k >= 0 && depthOf(list[k]) > d) k--;
          if (k < 0 || depthOf(list[k]) !== d) break;
          at = list[k];
        } else {
          if (e >= list.length || depthOf(list[e]) !== d) break;
          const e2 = end(e);
          at = e2 < list.length ? list[e2] : null;
        }
        const block = document.createDocumentFragment();
        list.slice(i, e).forEach((el) => block.appendChild(el));
        rows.insertBefore(block, at);
        refresh();
        b.focus();
        break;
      }
      case 'child': {
        const list = inds(), i = list.indexOf(ind), d = depthOf(ind);
        let j = i + 1;
        while (j < list.length && depthOf(list[j]) > d) j++;
        const el = fresh(tplInd);
        el.querySelector('select.depth').value = String(Math.min(d + 1, 4));
        // A parent carries no rules or point types of its own: when a leaf
        // gets its first child, what it had moves to the child (it was
        // meant for the leaf now split), and its blank rule rows go.
        if (j === i + 1) {
          const body = el.querySelector('table.rules tbody');
          let moved = false;
          ind.querySelectorAll('tr.rule').forEach((tr) => {
            if (!tr.querySelector('input[name=d_points]').value && !tr.querySelector('input[name=d_cat]').value && !tr.querySelector('select').value) {
              tr.remove();
              return;
            }
            if (!moved) body.textContent = '';
            moved = true;
            tr.querySelector('input[name=d_key]').value = el.dataset.key;
            body.appendChild(tr);
          });
          ind.querySelectorAll('input[type=checkbox]:checked').forEach((c) => {
            c.checked = false;
            const to = el.querySelector('input[type=checkbox][value="' + c.value + '"]');
            if (to) to.checked = true;
          });
          const marks = ind.querySelector('input.marks');
          if (marks.value) el.querySelector('input.marks').value = marks.value;
        }
        rows.insertBefore(el, j < list.length ? list[j] : null);
        refresh();
        el.querySelector('input[name=i_code]').focus();
        break;
      }
    }
  });
  rows.addEventListener('change', refresh);
  rows.addEventListener('input', refresh);
  const add = document.getElementById('add-ind');
  if (add) {
    add.addEventListener('click', () => {
      const el = fresh(tplInd);
      rows.appendChild(el);
      refresh();
      el.querySelector('input[name=i_code]').focus();
    });
  }
  // The server's blank padding rows are for forms without JavaScript: a
  // rule row is added by its button now, so blank ones next to filled ones go.
  const more = document.getElementById('more-rows');
  if (more) more.hidden = true;
  inds().forEach((ind) => {
    const rules = Array.from(ind.querySelectorAll('tr.rule'));
    const blank = rules.filter((tr) => !tr.querySelector('input[name=d_points]').value && !tr.querySelector('input[name=d_cat]').value);
    if (blank.length < rules.length) blank.forEach((tr) => tr.remove());
  });
  refresh();
  rows.dataset.ready = '1';
})();

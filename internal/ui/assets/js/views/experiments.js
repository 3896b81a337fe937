// Experiments: every experiment with status, queue place and wait reason,
// worker, attempt and duration; refreshed every 2 s in place.
import {api} from '../api.js';
import {h, clear, setText, setBadge, badge, expName, expDuration, queueText, fmtTime, showError, waitsOnPerson} from '../dom.js';

export const title = 'Experiments';

const POLL_MS = 2000;

export async function render(main, ctx) {
  main.append(h('div', {class: 'page-head'}, h('div', h('h1', 'Experiments'),
    h('p', {class: 'sub'}, 'Newest first. This list refreshes by itself.')),
  h('div', {class: 'actions'}, h('a', {class: 'btn', href: '/experiments/new', id: 'new-experiment'}, 'New experiment'))));
  const err = h('div', {class: 'alert alert-error', role: 'alert', hidden: true});
  const empty = h('p', {class: 'empty', hidden: true}, 'No experiments yet. ', h('a', {href: '/experiments/new'}, 'Create one'), '.');
  const tbody = h('tbody');
  const table = h('div', {class: 'table-wrap'}, h('table', {id: 'experiments-table'},
    h('thead', h('tr', h('th', 'Experiment'), h('th', 'Status'), h('th', 'Progress / queue'), h('th', 'Worker'),
      h('th', {class: 'num'}, 'Attempt'), h('th', 'Duration'), h('th', {class: 'hide-narrow'}, 'Owner'), h('th', {class: 'hide-narrow'}, 'Created'))),
    tbody));
  main.append(err, h('section', {class: 'card'}, empty, table));
  const rows = new Map();
  ctx.every(POLL_MS, async () => {
    let list;
    try {
      list = await api('/experiments', ctx);
    } catch (e) {
      if (e.name !== 'AbortError') showError(err, e, 'Could not refresh the list');
      return;
    }
    showError(err, null);
    empty.hidden = list.length > 0;
    table.hidden = list.length === 0;
    const seen = new Set();
    list.forEach((e, i) => {
      seen.add(e.id);
      let row = rows.get(e.id);
      if (!row) {
        row = makeRow(e);
        rows.set(e.id, row);
      }
      updateRow(row, e);
      if (tbody.children[i] !== row.tr) tbody.insertBefore(row.tr, tbody.children[i] || null);
    });
    for (const [id, row] of rows) {
      if (!seen.has(id)) { row.tr.remove(); rows.delete(id); }
    }
  });
}

function makeRow(e) {
  const r = {
    link: h('a', {href: `/experiments/${encodeURIComponent(e.id)}`}),
    sub: h('div', {class: 'small muted'}),
    status: badge(e.status),
    progress: h('td', {class: 'small'}),
    worker: h('td', {class: 'small mono worker'}),
    attempt: h('td', {class: 'num'}),
    duration: h('td', {class: 'nowrap'}),
    owner: h('td', {class: 'hide-narrow nowrap small'}),
    created: h('td', {class: 'hide-narrow nowrap small'}),
  };
  r.tr = h('tr', {dataset: {id: e.id}}, h('td', r.link, r.sub), h('td', r.status), r.progress, r.worker, r.attempt, r.duration, r.owner, r.created);
  return r;
}

function updateRow(r, e) {
  setText(r.link, expName(e));
  setText(r.sub, [e.spec.target && `target ${e.spec.target}`, e.summary?.task || (e.spec.task !== 'auto' ? e.spec.task : ''),
    e.spec.gpus ? `${e.spec.gpus} GPU` : ''].filter(Boolean).join(' \u00b7 '));
  if (r.status.dataset.status !== e.status) setBadge(r.status, e.status);
  clear(r.progress);
  if (e.status === 'queued') r.progress.append(waitsOnPerson(e) ? h('span', {class: 'needs-person', title: 'Waits until someone acts'}, '\u26a0 ', queueText(e)) : queueText(e));
  else if (e.status === 'running') {
    const pct = Math.round((e.progress || 0) * 100);
    const bar = h('span', {class: 'mini-bar', 'aria-hidden': 'true'}, h('span'));
    bar.firstChild.style.width = pct + '%';
    r.progress.append(bar, `${pct}%`, e.message ? h('div', {class: 'muted'}, e.message) : null);
  } else if (e.status === 'failed') r.progress.append(h('span', {class: 'muted'}, e.error?.message || e.failure_kind || ''));
  else if (e.status === 'succeeded' && e.summary) {
    r.progress.append(`best ${e.summary.best.model}: ${e.summary.scorer} ${e.summary.best.cv_score.toFixed(4)}`);
  }
  const w = e.worker_name || e.worker || '';
  setText(r.worker, w.length > 24 ? w.slice(0, 20) + '\u2026' : w);
  r.worker.title = e.worker ? `${e.worker_name || ''} ${e.worker}`.trim() : '';
  setText(r.attempt, e.attempt ? String(e.attempt) : '');
  setText(r.duration, expDuration(e));
  setText(r.owner, e.owner || '');
  setText(r.created, fmtTime(e.created_at));
}

// Experiments: one page of the list at a time (GET /api/v1/experiments
// with limit, cursor, sort, order, filters and q), the view kept in the URL
// so it can be shared. Only the rows still queued or running refresh (every
// 2 s, one request for all of them); the rest of the page stays as loaded.
import {api, listPage, allDatasets} from '../api.js';
import {h, clear, setText, setBadge, badge, expName, expDuration, queueText, fmtTime, fmtNum, showError, waitsOnPerson} from '../dom.js';
import {navigate} from '../app.js';

export const title = 'Experiments';

const POLL_MS = 2000;
const PAGE_SIZE = 50;
const MAX_COMPARE = 5;
// FILTERS are the URL's (and the API's) filter parameters.
const FILTERS = ['q', 'status', 'dataset', 'task', 'worker', 'priority', 'owner'];
const SORTS = {created: 'Created', duration: 'Duration', score: 'Best score'};
const ORDER_TEXT = {created: ['newest', 'oldest'], duration: ['longest', 'shortest'], score: ['highest best score', 'lowest best score']};
// refocus names the filter control that had the focus when it changed the
// view, so typing in the search box goes on after the page redraws.
let refocus = '';

// viewOf reads the view from the URL: filters, sort, order, page cursor.
function viewOf(query) {
  const v = {sort: SORTS[query.get('sort')] ? query.get('sort') : 'created', order: query.get('order') === 'asc' ? 'asc' : 'desc', cursor: query.get('cursor') || ''};
  for (const k of FILTERS) v[k] = query.get(k) || '';
  return v;
}

// urlOf is the page's URL for a view; defaults are left out.
function urlOf(v) {
  const q = new URLSearchParams();
  for (const k of FILTERS) if (v[k]) q.set(k, v[k]);
  if (v.sort !== 'created') q.set('sort', v.sort);
  if (v.order !== 'desc') q.set('order', v.order);
  if (v.cursor) q.set('cursor', v.cursor);
  const s = q.toString();
  return '/experiments' + (s ? '?' + s : '');
}

// apiQuery is the list request for a view.
function apiQuery(v) {
  const q = {limit: PAGE_SIZE};
  for (const k of FILTERS) if (v[k]) q[k] = v[k];
  if (v.sort !== 'created') q.sort = v.sort;
  if (v.order !== 'desc') q.order = v.order;
  if (v.cursor) q.cursor = v.cursor;
  return q;
}

export async function render(main, ctx) {
  const v = viewOf(ctx.query);
  // The cursors of the pages before this one (history.state), for Previous.
  const back = Array.isArray(history.state?.back) ? history.state.back : [];
  main.append(h('div', {class: 'page-head'}, h('div', h('h1', 'Experiments'),
    h('p', {class: 'sub'}, 'Filter, search and sort; the address keeps the view, so you can share it. Queued and running rows refresh by themselves.')),
  h('div', {class: 'actions'},
    h('button', {type: 'button', class: 'btn btn-secondary', id: 'compare', disabled: true}, 'Compare'),
    h('a', {class: 'btn', href: '/experiments/new', id: 'new-experiment'}, 'New experiment'))));
  const err = h('div', {class: 'alert alert-error', role: 'alert', hidden: true, id: 'list-error'});
  const filters = filterBar(v, ctx);
  const summary = h('p', {class: 'small muted', id: 'list-summary', 'aria-live': 'polite'});
  const empty = h('p', {class: 'empty', hidden: true, id: 'list-empty'});
  const tbody = h('tbody');
  const sortHead = (key) => {
    const on = v.sort === key;
    const next = {...v, sort: key, order: on && v.order === 'desc' ? 'asc' : 'desc', cursor: ''};
    return h('th', {scope: 'col', class: 'sortable' + (key === 'score' ? ' num' : ''), 'aria-sort': on ? (v.order === 'asc' ? 'ascending' : 'descending') : 'none'},
      h('a', {href: urlOf(next), id: `sort-${key}`, title: `Sort by ${SORTS[key].toLowerCase()}`}, SORTS[key], h('span', {class: 'sort-mark', 'aria-hidden': 'true'}, on ? (v.order === 'asc' ? ' \u25b2' : ' \u25bc') : '')));
  };
  const table = h('div', {class: 'table-wrap'}, h('table', {id: 'experiments-table'},
    h('thead', h('tr', h('th', {scope: 'col', class: 'pick'}, h('span', {class: 'visually-hidden'}, 'Pick to compare')),
      h('th', {scope: 'col'}, 'Experiment'), h('th', {scope: 'col'}, 'Status'), h('th', {scope: 'col'}, 'Progress / queue'),
      h('th', {scope: 'col', class: 'hide-narrow'}, 'Dataset'), sortHead('score'), h('th', {scope: 'col', class: 'hide-narrow'}, 'Worker'),
      sortHead('duration'), h('th', {scope: 'col', class: 'hide-narrow'}, 'Owner'), sortHead('created'))),
    tbody));
  const pager = h('nav', {class: 'pager', 'aria-label': 'Pages'});
  main.append(err, filters.el, h('section', {class: 'card'}, summary, empty, table, pager));
  if (refocus) {
    const el = main.querySelector('#' + refocus);
    refocus = '';
    if (el) {
      el.focus({preventScroll: true});
      if (el.type === 'search') el.setSelectionRange(el.value.length, el.value.length);
    }
  }

  // Compare: 2 to 5 rows picked on this page.
  const picked = new Set();
  const compareBtn = main.querySelector('#compare');
  const showPicked = () => {
    compareBtn.disabled = picked.size < 2;
    setText(compareBtn, picked.size ? `Compare ${picked.size}` : 'Compare');
    for (const box of tbody.querySelectorAll('input.pick')) box.disabled = !box.checked && picked.size >= MAX_COMPARE;
  };
  compareBtn.addEventListener('click', () => navigate(`/experiments/compare?ids=${[...picked].map(encodeURIComponent).join(',')}`));

  const rows = new Map();
  const datasets = new Map();
  allDatasets(ctx).then((list) => {
    for (const d of list) datasets.set(d.id, d.name);
    filters.datasets(list);
    for (const r of rows.values()) updateDataset(r, datasets);
  }, () => {});

  let page;
  try {
    page = await listPage('/experiments', apiQuery(v), ctx);
  } catch (e) {
    if (e.name === 'AbortError') return;
    if (e.field === 'cursor' && v.cursor) { // a cursor of another user or an earlier server: start again
      navigate(urlOf({...v, cursor: ''}), {replace: true});
      return;
    }
    showError(err, e, e.field ? `The list refused ${e.field}` : 'Could not load the experiments');
    if (e.field) main.querySelector(`#f-${e.field}`)?.setAttribute('aria-invalid', 'true');
    table.hidden = true;
    return;
  }
  const filtered = FILTERS.some((k) => v[k]);
  const n = page.items.length;
  const first = back.length + (v.cursor && !back.length ? 1 : 0);
  setText(summary, n ? `Rows ${(first * PAGE_SIZE + 1).toLocaleString('en')}\u2013${(first * PAGE_SIZE + n).toLocaleString('en')}` +
    `${page.next_cursor ? '' : ' (the last)'}, ${ORDER_TEXT[v.sort][v.order === 'desc' ? 0 : 1]} first` +
    (v.sort === 'created' ? '' : '; rows without one last') + '.' : '');
  empty.hidden = n > 0;
  table.hidden = n === 0;
  clear(empty).append(filtered ? ['No experiment matches these filters. ', h('a', {href: '/experiments'}, 'Clear them'), '.']
    : ['No experiments yet. ', h('a', {href: '/experiments/new'}, 'Create one'), '.']);
  for (const e of page.items) {
    const r = makeRow(e, picked, showPicked);
    rows.set(e.id, r);
    updateRow(r, e);
    updateDataset(r, datasets);
    tbody.append(r.tr);
  }
  // Pages: keyset cursors go forward; the ones behind are kept in history.state.
  if (v.cursor || page.next_cursor) {
    const go = (cursor, stack) => navigate(urlOf({...v, cursor}), {state: {back: stack}});
    const prev = h('button', {type: 'button', class: 'btn btn-secondary', id: 'page-prev', disabled: !v.cursor}, '\u2190 Previous');
    const firstBtn = h('button', {type: 'button', class: 'btn btn-secondary', id: 'page-first', disabled: !v.cursor}, 'First page');
    const next = h('button', {type: 'button', class: 'btn btn-secondary', id: 'page-next', disabled: !page.next_cursor}, 'Next \u2192');
    prev.addEventListener('click', () => go(back.length ? back[back.length - 1] : '', back.slice(0, -1)));
    firstBtn.addEventListener('click', () => go('', []));
    next.addEventListener('click', () => go(page.next_cursor, [...back, v.cursor]));
    pager.append(firstBtn, prev, h('span', {class: 'small muted', id: 'page-number'}, `Page ${first + 1}`), next);
  }

  // Only the active rows refresh: one request for every queued or running
  // experiment the user may see; a row that left them is fetched once more.
  ctx.every(POLL_MS, async () => {
    const active = [...rows.values()].filter((r) => r.e.status === 'queued' || r.e.status === 'running');
    if (!active.length) return;
    try {
      const now = await listPage('/experiments', {status: 'queued,running', limit: 500}, ctx);
      const byID = new Map((now.all || now.items).map((e) => [e.id, e]));
      for (const r of active) {
        let e = byID.get(r.e.id);
        if (!e) e = await api(`/experiments/${encodeURIComponent(r.e.id)}`, ctx).then(slim, () => null);
        if (e && ctx.alive) updateRow(r, e);
      }
      showError(err, null);
    } catch (e) {
      if (e.name !== 'AbortError') showError(err, e, 'Could not refresh the running experiments');
    }
  });
}

// slim makes a full experiment look like a list row.
function slim(e) {
  if (e.best_score !== undefined || !e.summary) return e;
  return {...e, task: e.summary.task, scorer: e.summary.scorer, best_model: e.summary.best?.model, best_score: e.summary.best?.cv_score};
}

// filterBar is the search box and the filter selects; a change replaces
// the URL (first page) and redraws.
function filterBar(v, ctx) {
  const apply = (patch) => {
    refocus = document.activeElement?.id?.startsWith('f-') ? document.activeElement.id : '';
    navigate(urlOf({...v, ...patch, cursor: ''}), {replace: true});
  };
  const sel = (id, label, options, value) => {
    const s = h('select', {id: `f-${id}`, name: id}, options.map(([val, text]) => h('option', {value: val, selected: val === value}, text)));
    s.addEventListener('change', () => apply({[id]: s.value}));
    return h('div', {class: 'field'}, h('label', {for: `f-${id}`}, label), s);
  };
  const q = h('input', {type: 'search', id: 'f-q', name: 'q', value: v.q, placeholder: 'name, id or target', autocomplete: 'off', maxlength: 200});
  let timer = null;
  q.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => apply({q: q.value.trim()}), 350); });
  q.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); clearTimeout(timer); apply({q: q.value.trim()}); } });
  ctx.onCleanup(() => clearTimeout(timer));
  const statuses = [['', 'Any'], ['queued,running', 'Active (queued or running)'], ['queued', 'Queued'], ['running', 'Running'],
    ['succeeded', 'Succeeded'], ['failed', 'Failed'], ['cancelled', 'Cancelled'], ['failed,cancelled', 'Failed or cancelled']];
  if (v.status && !statuses.some(([x]) => x === v.status)) statuses.push([v.status, v.status]);
  const dsField = sel('dataset', 'Dataset', [['', 'Any'], ...(v.dataset ? [[v.dataset, v.dataset]] : [])], v.dataset);
  const textField = (id, label, placeholder) => {
    const input = h('input', {type: 'text', id: `f-${id}`, name: id, value: v[id], placeholder, autocomplete: 'off', maxlength: 200, list: `f-${id}-list`});
    input.addEventListener('change', () => apply({[id]: input.value.trim()}));
    return h('div', {class: 'field'}, h('label', {for: `f-${id}`}, label), input, h('datalist', {id: `f-${id}-list`}));
  };
  const worker = textField('worker', 'Worker', 'any');
  const owner = textField('owner', 'Owner', 'any');
  owner.hidden = true;
  const clearLink = h('a', {href: '/experiments', id: 'f-clear', class: 'small', hidden: !FILTERS.some((k) => v[k])}, 'Clear filters');
  const el = h('form', {class: 'filters card', id: 'filters', role: 'search', 'aria-label': 'Filter experiments'},
    h('div', {class: 'field grow'}, h('label', {for: 'f-q'}, 'Search'), q),
    sel('status', 'Status', statuses, v.status),
    dsField,
    sel('task', 'Task', [['', 'Any'], ['binary', 'Binary'], ['multiclass', 'Multiclass'], ['regression', 'Regression']], v.task),
    sel('priority', 'Priority', [['', 'Any'], ['high', 'High'], ['normal', 'Normal'], ['low', 'Low']], v.priority),
    worker, owner, clearLink);
  el.addEventListener('submit', (ev) => ev.preventDefault());
  // Suggestions: workers from System Info; owners (admins) from the users.
  api('/system/info', ctx).then((info) => {
    const names = new Set((info.workers || []).map((w) => w.name));
    if (info.worker_mode === 'multiprocessing') names.add('local');
    worker.querySelector('datalist').append(...[...names].map((n) => h('option', {value: n})));
  }, () => {});
  api('/me', ctx).then((me) => {
    if (!me.admin) return;
    owner.hidden = false;
    return api('/users', ctx).then((users) => owner.querySelector('datalist').append(...users.map((u) => h('option', {value: u.name}))));
  }).catch(() => { if (v.owner) owner.hidden = false; });
  if (v.owner) owner.hidden = false;
  return {
    el,
    // datasets fills the dataset select once the list is known.
    datasets(list) {
      const s = dsField.querySelector('select');
      clear(s).append(h('option', {value: ''}, 'Any'));
      for (const d of list) s.append(h('option', {value: d.id, selected: d.id === v.dataset}, `${d.name} (${d.id})`));
      if (v.dataset && !list.some((d) => d.id === v.dataset)) s.append(h('option', {value: v.dataset, selected: true}, v.dataset));
    },
  };
}

function makeRow(e, picked, showPicked) {
  const box = h('input', {type: 'checkbox', class: 'pick', 'aria-label': `Pick ${expName(e)} to compare`, value: e.id, checked: picked.has(e.id)});
  box.addEventListener('change', () => { if (box.checked) picked.add(e.id); else picked.delete(e.id); showPicked(); });
  const r = {
    e,
    link: h('a', {href: `/experiments/${encodeURIComponent(e.id)}`}),
    sub: h('div', {class: 'small muted'}),
    tags: h('span', {class: 'exp-tags'}),
    status: badge(e.status),
    progress: h('td', {class: 'small progress-cell'}),
    dataset: h('a', {href: `/datasets/${encodeURIComponent(e.spec?.dataset_id || '')}`, class: 'small'}),
    score: h('td', {class: 'num nowrap'}),
    worker: h('td', {class: 'small mono worker hide-narrow'}),
    duration: h('td', {class: 'nowrap'}),
    owner: h('td', {class: 'owner hide-narrow nowrap small'}),
    created: h('td', {class: 'nowrap small'}),
  };
  r.tr = h('tr', {dataset: {id: e.id}}, h('td', {class: 'pick'}, box), h('td', r.link, r.tags, r.sub), h('td', r.status), r.progress,
    h('td', {class: 'hide-narrow'}, r.dataset), r.score, r.worker, r.duration, r.owner, r.created);
  return r;
}

function updateDataset(r, datasets) {
  const id = r.e.spec?.dataset_id || '';
  setText(r.dataset, datasets.get(id) || id);
  r.dataset.title = id;
}

function updateRow(r, e) {
  r.e = e;
  r.tr.dataset.status = e.status;
  setText(r.link, expName(e));
  const task = e.task || (e.spec.task !== 'auto' ? e.spec.task : '');
  setText(r.sub, [e.spec.target && `target ${e.spec.target}`, task, e.spec.gpus ? `${e.spec.gpus} GPU` : '',
    e.spec.priority && e.spec.priority !== 'normal' ? `${e.spec.priority} priority` : '', e.attempt > 1 ? `attempt ${e.attempt}` : ''].filter(Boolean).join(' \u00b7 '));
  if (r.status.dataset.status !== e.status) setBadge(r.status, e.status);
  clear(r.tags).append(...(e.tags || []).map((t) => h('span', {class: 'chip'}, t)));
  clear(r.progress);
  if (e.status === 'queued') r.progress.append(waitsOnPerson(e) ? h('span', {class: 'needs-person', title: 'Waits until someone acts'}, '\u26a0 ', queueText(e)) : queueText(e));
  else if (e.status === 'running') {
    const pct = Math.round((e.progress || 0) * 100);
    const bar = h('span', {class: 'mini-bar', 'aria-hidden': 'true'}, h('span'));
    bar.firstChild.style.width = pct + '%';
    r.progress.append(bar, `${pct}%`, e.message ? h('div', {class: 'muted clip'}, e.message) : null);
  } else if (e.status === 'failed') r.progress.append(h('span', {class: 'muted clip'}, e.error?.message || e.failure_kind || ''));
  else if (e.status === 'succeeded' && e.best_model) r.progress.append(h('span', {class: 'muted'}, `best: ${e.best_model}`));
  clear(r.score);
  if (e.best_score !== undefined && e.best_score !== null) r.score.append(fmtNum(e.best_score, 4), h('div', {class: 'small muted'}, e.scorer || ''));
  const w = e.worker_name || e.worker || '';
  setText(r.worker, w.length > 24 ? w.slice(0, 20) + '\u2026' : w);
  r.worker.title = e.worker ? `${e.worker_name || ''} ${e.worker}`.trim() : '';
  setText(r.duration, expDuration(e));
  setText(r.owner, e.owner || '');
  setText(r.created, fmtTime(e.created_at));
}

// Small DOM helpers shared by the views. Everything is built through the
// DOM (never innerHTML with data), so names from datasets cannot inject markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

function fill(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.setAttribute('class', v);
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k in el && typeof v !== 'string' && !(el instanceof SVGElement)) el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of [].concat(children ?? [])) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// h builds an HTML element: h('a', {href: '/x', class: 'btn'}, 'text', child...).
export function h(tag, attrs, ...children) {
  if (attrs instanceof Node || typeof attrs === 'string' || Array.isArray(attrs)) {
    children.unshift(attrs);
    attrs = {};
  }
  return fill(document.createElement(tag), attrs, children);
}

// s builds an SVG element.
export function s(tag, attrs, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

// setText changes text only when it differs, so screen readers and
// selections are not disturbed by polling.
export function setText(el, text) {
  text = String(text ?? '');
  if (el.textContent !== text) el.textContent = text;
}

export function fmtBytes(n) {
  if (n === undefined || n === null) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)) + ' ' + units[i];
}

export function fmtNum(x, digits = 4) {
  if (x === undefined || x === null || Number.isNaN(x)) return '';
  if (Number.isInteger(x)) return x.toLocaleString('en');
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return x.toExponential(2);
  return x.toFixed(digits).replace(/0+$/, '').replace(/\.$/, '');
}

export function fmtDuration(ms) {
  if (ms === undefined || ms === null || ms < 0 || Number.isNaN(ms)) return '';
  const sec = Math.round(ms / 1000);
  if (sec < 60) return sec + ' s';
  const m = Math.floor(sec / 60), r = sec % 60;
  if (m < 60) return `${m} min ${r} s`;
  const hr = Math.floor(m / 60);
  return `${hr} h ${m % 60} min`;
}

export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  return sameDay ? d.toLocaleTimeString() : d.toLocaleString();
}

export function fmtAgo(iso) {
  if (!iso) return 'never';
  const ms = Date.now() - new Date(iso).getTime();
  if (ms < 1500) return 'just now';
  return fmtDuration(ms) + ' ago';
}

// duration of an experiment: queued → waiting so far; running → running so
// far; finished → start to finish.
export function expDuration(e) {
  const start = e.started_at ? Date.parse(e.started_at) : null;
  const end = e.finished_at ? Date.parse(e.finished_at) : null;
  if (start && end) return fmtDuration(end - start);
  if (start) return fmtDuration(Date.now() - start);
  if (e.status === 'queued') return 'waiting ' + fmtDuration(Date.now() - Date.parse(e.created_at));
  return '';
}

export function badge(status, id) {
  return h('span', {class: `badge badge-${status}`, id, dataset: {status}}, status);
}

export function setBadge(el, status) {
  el.className = `badge badge-${status}`;
  el.dataset.status = status;
  setText(el, status);
}

// queueText is "#3 in GPU queue: no GPU worker online".
export function queueText(e) {
  if (e.status !== 'queued') return '';
  const q = (e.queue || 'cpu').toUpperCase();
  const pos = e.queue_position ? `#${e.queue_position} in ${q} queue` : `in ${q} queue`;
  return e.wait_reason ? `${pos}: ${e.wait_reason}` : pos;
}

export function expName(e) {
  return e.spec?.name || e.id;
}

let toastTimer;
export function toast(msg) {
  const el = document.getElementById('toast');
  if (!el) return;
  el.textContent = msg;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.textContent = ''; }, 4000);
}

// errorBox shows an API error in plain words, with its stable code.
export function errorBox(err, what) {
  const box = h('div', {class: 'alert alert-error', role: 'alert'});
  showError(box, err, what);
  return box;
}

export function showError(box, err, what) {
  clear(box);
  box.hidden = false;
  if (!err) { box.hidden = true; return; }
  const msg = err.plain ? err.plain() : String(err.message || err);
  box.append(h('strong', what ? `${what}: ` : ''), msg);
  if (err.code && err.code !== 'network') box.append(' ', h('span', {class: 'code'}, `(${err.code})`));
}

// alertList shows System Info's alerts (what can never run, or waits on
// a person) as one banner; it hides itself when there are none.
export function alertList(box, alerts) {
  clear(box);
  box.hidden = !alerts?.length;
  if (!alerts?.length) return;
  const worst = alerts.some((a) => a.level === 'error') ? 'alert-error' : 'alert-warn';
  box.className = `alert ${worst}`;
  box.append(h('strong', alerts.length === 1 ? 'Needs attention' : `${alerts.length} things need attention`),
    h('ul', {class: 'warn-list'}, alerts.map((a) => h('li', {dataset: {kind: a.kind}}, a.message,
      a.experiments?.length ? [' (', a.experiments.slice(0, 3).map((id, i) => [i ? ', ' : '', h('a', {class: 'mono', href: `/experiments/${encodeURIComponent(id)}`}, id)]),
        a.count > 3 ? `, \u2026` : '', ')'] : null))));
}

// waitsOnPerson: the experiment waits for something no one has started
// (a worker, GPUs, a capability) or for its owner's quota (wait_kind).
export function waitsOnPerson(e) {
  return e.status === 'queued' && ['no_worker', 'no_gpu', 'capability', 'quota'].includes(e.wait_kind);
}

// The REST API as the app uses it. Errors become APIError with the
// server's stable code and a message in plain words.

import {meta} from './meta.js';

export class APIError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    // field names the part of the request the server refused, e.g.
    // "params.max_depth" (absent when the error is not about one field).
    this.field = field || '';
  }

  // plain is the message a person reads.
  plain() {
    switch (this.code) {
      case 'network':
        return 'Cannot reach the drover server. Check that it is running and that you are online, then try again.';
      case 'unauthorized':
        return 'You are not logged in, or your login has expired. Log in with the API token again.';
      default: {
        let m = this.message || `The server answered ${this.status}.`;
        m = m.charAt(0).toUpperCase() + m.slice(1);
        return /[.!?]$/.test(m) ? m : m + '.';
      }
    }
  }
}

function fromResponse(status, statusText, text) {
  try {
    const body = JSON.parse(text);
    if (body && body.error) return new APIError(status, body.error.code || `http_${status}`, body.error.message || '', body.error.field);
  } catch { /* not JSON */ }
  const detail = (text || '').trim().slice(0, 200);
  return new APIError(status, `http_${status}`, `The server answered ${status} ${statusText}${detail ? ': ' + detail : ''}`);
}

// toLogin sends the browser to the login page when the server wants a token.
export function toLogin() {
  if (!meta.auth || location.pathname === '/login') return;
  const next = location.pathname + location.search;
  location.assign('/login?next=' + encodeURIComponent(next));
}

// baseHeaders are the headers of every request the app makes.
function baseHeaders(accept = 'application/json') {
  return {Accept: accept};
}

// api calls /api/v1 + path and returns the decoded JSON.
export async function api(path, {method = 'GET', body, signal} = {}) {
  const opts = {method, signal, headers: baseHeaders(), credentials: 'same-origin'};
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch('/api/v1' + path, opts);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new APIError(0, 'network', e.message);
  }
  const text = await res.text();
  if (res.status === 401) toLogin();
  if (!res.ok) throw fromResponse(res.status, res.statusText, text);
  return text ? JSON.parse(text) : null;
}

// getArtifactJSON fetches one artifact and decodes it.
export function artifactURL(id, name) {
  return `/api/v1/experiments/${encodeURIComponent(id)}/artifacts/` + name.split('/').map(encodeURIComponent).join('/');
}

// upload sends file as multipart/form-data with XMLHttpRequest, which
// reports upload progress. It returns {promise, abort}; the promise gives
// {dataset, again}, again when the server already had this upload.
export function upload(file, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open('POST', '/api/v1/datasets');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.responseType = 'text';
    xhr.upload.addEventListener('progress', (ev) => onProgress?.(ev.loaded, ev.lengthComputable ? ev.total : file.size));
    xhr.upload.addEventListener('load', () => onProgress?.(file.size, file.size, true));
    xhr.addEventListener('load', () => {
      if (xhr.status === 401) toLogin();
      if (xhr.status >= 200 && xhr.status < 300) {
        // 200, not 201: the same file was uploaded before under this name;
        // the answer is that dataset.
        try { resolve({dataset: JSON.parse(xhr.responseText), again: xhr.status === 200}); } catch (e) { reject(new APIError(xhr.status, 'bad_response', 'The server sent an answer the page cannot read.')); }
      } else {
        reject(fromResponse(xhr.status, xhr.statusText, xhr.responseText));
      }
    });
    xhr.addEventListener('error', () => reject(new APIError(0, 'network', 'network error')));
    xhr.addEventListener('abort', () => reject(new APIError(0, 'aborted', 'Upload cancelled')));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return {promise, abort: () => xhr.abort()};
}

// postFile sends a file as the raw request body (e.g. a CSV to score) and
// returns the answer as a Blob; errors are APIError like api's.
export async function postFile(path, file, {contentType = 'text/csv', accept = 'text/csv', signal} = {}) {
  const headers = baseHeaders(accept);
  headers['Content-Type'] = contentType;
  let res;
  try {
    res = await fetch('/api/v1' + path, {method: 'POST', body: file, headers, signal, credentials: 'same-origin'});
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new APIError(0, 'network', e.message);
  }
  if (res.status === 401) toLogin();
  if (!res.ok) throw fromResponse(res.status, res.statusText, await res.text());
  return res.blob();
}

// slimRow is an experiment as a list row (GET /api/v1/experiments items):
// a full experiment (the list before pages) gets the row's best_* fields
// from its summary.
export function slimRow(e) {
  if (e.best_score !== undefined || !e.summary) return e;
  return {...e, task: e.summary.task, scorer: e.summary.scorer, best_model: e.summary.best?.model, best_score: e.summary.best?.cv_score};
}

// allExperiments fetches every experiment the query selects (query as
// URLSearchParams, e.g. dataset=ID), following next_cursor up to max rows.
export async function allExperiments(query, ctx, max = 2000) {
  const out = [];
  let cursor = '';
  for (;;) {
    const q = new URLSearchParams(query);
    q.set('limit', '500');
    if (cursor) q.set('cursor', cursor);
    const page = await api('/experiments?' + q.toString(), ctx);
    if (Array.isArray(page)) { // a server without list pages answers every experiment
      const ds = q.get('dataset');
      return page.filter((e) => !ds || e.spec?.dataset_id === ds).map(slimRow);
    }
    out.push(...(page.items || []).map(slimRow));
    cursor = page.next_cursor || '';
    if (!cursor || out.length >= max) return out;
  }
}

// listPage fetches one page of a list (path '/experiments' or '/datasets',
// query URLSearchParams) as {items, next_cursor}. A server without list
// pages answers the whole list as an array; that becomes one page.
export async function listPage(path, query, ctx) {
  const q = new URLSearchParams(query);
  const s = q.toString();
  const page = await api(path + (s ? '?' + s : ''), ctx);
  if (Array.isArray(page)) return legacyPage(path === '/experiments' ? page.map(slimRow) : page, q);
  return {items: (page.items || []).map(path === '/experiments' ? slimRow : (x) => x), next_cursor: page.next_cursor || ''};
}

// allDatasets fetches every dataset the user may see, newest first,
// following next_cursor (datasets are few next to experiments). Rows have
// column_count; the full dataset (GET /datasets/{id}) has the columns.
export async function allDatasets(ctx, max = 5000) {
  const out = [];
  let cursor = '';
  for (;;) {
    const q = {limit: 500};
    if (cursor) q.cursor = cursor;
    const page = await listPage('/datasets', q, ctx);
    const items = page.all || page.items;
    out.push(...items.map((d) => ({...d, column_count: d.column_count ?? d.columns?.length ?? 0})));
    cursor = page.next_cursor;
    if (!cursor || out.length >= max) return out;
  }
}

// legacyPage applies a list query to a server's whole list (a server
// before list pages): the filters, q, sort and order, and the page, with
// the offset as the cursor. all is the whole list.
function legacyPage(items, q) {
  const has = (v, want) => !want || want.split(',').includes(v);
  const text = (q.get('q') || '').toLowerCase();
  let rows = items.filter((e) => !e.spec || (has(e.status, q.get('status')) && has(e.spec.dataset_id, q.get('dataset')) &&
    has(e.task || e.spec.task, q.get('task')) && has(e.worker_name || e.worker, q.get('worker')) &&
    has(e.spec.priority || 'normal', q.get('priority')) && has(e.owner, q.get('owner')) &&
    (!text || [e.id, e.spec.name, e.spec.target].some((x) => (x || '').toLowerCase().includes(text)))));
  const sort = q.get('sort') || 'created', asc = q.get('order') === 'asc';
  const key = (e) => sort === 'score' ? e.best_score
    : sort === 'duration' ? (e.started_at && e.finished_at ? Date.parse(e.finished_at) - Date.parse(e.started_at) : undefined)
      : Date.parse(e.created_at);
  rows = rows.map((e, i) => [key(e), i, e]).sort((a, b) => {
    if (a[0] === undefined || a[0] === null) return b[0] === undefined || b[0] === null ? a[1] - b[1] : 1;
    if (b[0] === undefined || b[0] === null) return -1;
    return (asc ? a[0] - b[0] : b[0] - a[0]) || a[1] - b[1];
  }).map((x) => x[2]);
  const n = +(q.get('limit') || 0) || rows.length;
  const at = +(q.get('cursor') || 0);
  return {items: rows.slice(at, at + n), next_cursor: at + n < rows.length ? String(at + n) : '', all: items};
}

// Compare 2-5 experiments: their specs side by side (rows that differ are
// marked), best CV score with its spread, metrics, ROC and PR curves
// overlaid for binary tasks, and each leaderboard.
import {api, artifactURL} from '../api.js';
import {h, badge, expName, fmtNum, errorBox} from '../dom.js';
import {multiLineChart} from '../chart.js';

export const title = 'Compare experiments';

export const MAX_COMPARE = 5;

// SPEC_ROWS are the spec fields shown, in order, with how to print each.
const SPEC_ROWS = [
  ['Dataset', (e) => e.spec.dataset_id],
  ['Target', (e) => e.spec.target || ''],
  ['Task', (e) => e.summary?.task || e.spec.task || 'auto'],
  ['Scorer', (e) => e.summary?.scorer || e.spec.scorer || 'default'],
  ['Accuracy', (e) => String(e.spec.accuracy || 'auto')],
  ['Time', (e) => String(e.spec.time || 'auto')],
  ['Interpretability', (e) => String(e.spec.interpretability || 'auto')],
  ['Models', (e) => (e.spec.models || []).join(', ') || 'all'],
  ['Parameters', (e) => Object.entries(e.spec.params || {}).sort().map(([k, v]) => `${k}=${v}`).join(' ')],
  ['Folds', (e) => (e.spec.folds === undefined || e.spec.folds === null ? 'from the dials' : String(e.spec.folds))],
  ['Seed', (e) => String(e.spec.seed || 'random')],
  ['GPUs', (e) => String(e.spec.gpus || 0)],
  ['Priority', (e) => e.priority || e.spec.priority || 'normal'],
  ['Command', (e) => e.spec.command || ''],
];

export async function render(main, ctx) {
  const ids = [...new Set((ctx.query.get('ids') || '').split(',').map((x) => x.trim()).filter(Boolean))];
  main.append(h('div', {class: 'page-head'}, h('div',
    h('nav', {class: 'breadcrumb', 'aria-label': 'Breadcrumb'}, h('ol', h('li', h('a', {href: '/experiments'}, 'Experiments')), h('li', 'Compare'))),
    h('h1', 'Compare experiments'),
    h('p', {class: 'sub'}, 'Settings side by side (rows that differ are marked \u2260), scores, curves and leaderboards.'))));
  if (ids.length < 2 || ids.length > MAX_COMPARE) {
    main.append(h('div', {class: 'alert alert-info', id: 'compare-help'}, `Pick 2 to ${MAX_COMPARE} experiments in the `, h('a', {href: '/experiments'}, 'experiments table'),
      ' and press Compare, or open ', h('code', '/experiments/compare?ids=ID1,ID2'), '.'));
    return;
  }
  const got = await Promise.allSettled(ids.map((id) => api(`/experiments/${encodeURIComponent(id)}`, ctx)));
  if (!ctx.alive) return;
  const exps = [];
  got.forEach((r, i) => {
    if (r.status === 'fulfilled') exps.push(r.value);
    else if (r.reason?.name !== 'AbortError') main.append(errorBox(r.reason, `Could not load ${ids[i]}`));
  });
  if (exps.length < 2) return;
  document.title = `Compare ${exps.map(expName).join(' \u00b7 ')} \u00b7 drover`;
  main.append(specTable(exps), scoreTable(exps));
  const plots = await Promise.all(exps.map((e) => e.status === 'succeeded' && !e.spec.command
    ? fetch(artifactURL(e.id, 'plots.json'), {signal: ctx.signal, credentials: 'same-origin'}).then((r) => (r.ok ? r.json() : null), () => null)
    : null));
  if (!ctx.alive) return;
  const curves = curvesCard(exps, plots);
  if (curves) main.append(curves);
  main.append(h('section', {class: 'card', 'aria-labelledby': 'cmp-lb-h'}, h('h2', {id: 'cmp-lb-h'}, 'Leaderboards'),
    h('div', {class: 'compare-grid'}, exps.map(leaderboard))));
}

function head(exps) {
  return h('thead', h('tr', h('th', {scope: 'col'}, ''), exps.map((e) => h('th', {scope: 'col'},
    h('a', {href: `/experiments/${encodeURIComponent(e.id)}`}, expName(e)), ' ', badge(e.status)))));
}

function specTable(exps) {
  const rows = SPEC_ROWS.map(([label, get]) => {
    const vals = exps.map(get);
    const differs = new Set(vals).size > 1;
    if (!differs && vals.every((v) => v === '')) return null;
    return h('tr', {class: differs ? 'differs' : null, dataset: {field: label.toLowerCase()}},
      h('th', {scope: 'row'}, label, differs ? h('span', {class: 'visually-hidden'}, ' (differs)') : null),
      vals.map((v) => h('td', {class: 'mono small'}, v || '\u2013')));
  });
  return h('section', {class: 'card', 'aria-labelledby': 'cmp-spec-h'}, h('h2', {id: 'cmp-spec-h'}, 'Settings'),
    h('div', {class: 'table-wrap'}, h('table', {id: 'compare-spec'}, head(exps), h('tbody', rows))));
}

function scoreTable(exps) {
  const metricNames = [...new Set(exps.flatMap((e) => Object.keys(e.summary?.metrics || {})))].sort();
  const row = (label, vals, id) => h('tr', {dataset: {field: id}}, h('th', {scope: 'row'}, label), vals.map((v) => h('td', {class: 'num'}, v)));
  return h('section', {class: 'card', 'aria-labelledby': 'cmp-score-h'}, h('h2', {id: 'cmp-score-h'}, 'Scores'),
    h('div', {class: 'table-wrap'}, h('table', {id: 'compare-scores'}, head(exps), h('tbody',
      row('Best model', exps.map((e) => e.summary?.best?.model || '\u2013'), 'best'),
      row('Best CV score \u00b1 std', exps.map((e) => (e.summary ? `${fmtNum(e.summary.best.cv_score, 4)} \u00b1 ${fmtNum(e.summary.best.cv_std, 4)} (${e.summary.scorer})` : '\u2013')), 'cv'),
      metricNames.map((m) => row(m, exps.map((e) => fmtNum(e.summary?.metrics?.[m], 4) || '\u2013'), 'metric-' + m))))));
}

function curvesCard(exps, plots) {
  const roc = [], pr = [];
  exps.forEach((e, i) => {
    const p = plots[i];
    if (p?.roc) roc.push({label: expName(e), x: p.roc.x, y: p.roc.y});
    if (p?.pr) pr.push({label: expName(e), x: p.pr.x, y: p.pr.y});
  });
  if (roc.length < 2 && pr.length < 2) return null;
  return h('section', {class: 'card', 'aria-labelledby': 'cmp-curves-h', id: 'compare-curves'}, h('h2', {id: 'cmp-curves-h'}, 'Curves'),
    h('p', {class: 'small muted'}, 'Out-of-fold predictions of each experiment\u2019s best model.'),
    h('div', {class: 'charts'},
      roc.length >= 2 ? multiLineChart({caption: 'ROC curves', series: roc, xLabel: 'False positive rate', yLabel: 'True positive rate', diagonal: true}) : null,
      pr.length >= 2 ? multiLineChart({caption: 'Precision\u2013recall curves', series: pr, xLabel: 'Recall', yLabel: 'Precision'}) : null));
}

function leaderboard(e) {
  const lb = e.summary?.leaderboard || [];
  return h('div', h('h3', expName(e)), lb.length
    ? h('div', {class: 'table-wrap'}, h('table', {class: 'compare-lb'},
      h('thead', h('tr', h('th', {scope: 'col'}, 'Model'), h('th', {scope: 'col', class: 'num'}, `CV ${e.summary.scorer}`), h('th', {scope: 'col', class: 'num'}, '\u00b1 std'))),
      h('tbody', lb.slice(0, 8).map((m) => h('tr', h('td', m.model), h('td', {class: 'num'}, fmtNum(m.cv_score, 4)), h('td', {class: 'num'}, fmtNum(m.cv_std, 4)))))))
    : h('p', {class: 'empty'}, e.status === 'succeeded' ? 'No leaderboard.' : `No results yet (${e.status}).`));
}

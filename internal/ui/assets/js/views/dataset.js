// One dataset: its columns with type, missing values, distinct values and
// a small histogram, and the experiments run on it, ranked by score.
import {api, allExperiments} from '../api.js';
import {meta} from '../meta.js';
import {h, clear, badge, expName, fmtTime, fmtNum, fmtBytes, errorBox, showError, toast} from '../dom.js';
import {navigate} from '../app.js';
import {histogram} from '../chart.js';

export const title = 'Dataset';

export async function render(main, ctx) {
  const id = ctx.params[0];
  let ds;
  try {
    ds = await api(`/datasets/${encodeURIComponent(id)}`, ctx);
  } catch (e) {
    if (e.name === 'AbortError') return;
    main.append(h('h1', 'Dataset'), errorBox(e, 'Could not load the dataset'), h('p', h('a', {href: '/datasets'}, 'Back to datasets')));
    return;
  }
  document.title = `${ds.name} · drover`;
  main.append(h('div', {class: 'page-head'},
    h('div', h('nav', {class: 'breadcrumb', 'aria-label': 'Breadcrumb'}, h('ol', h('li', h('a', {href: '/datasets'}, 'Datasets')), h('li', ds.name))),
      h('h1', ds.name),
      h('p', {class: 'sub'}, `${ds.rows.toLocaleString('en')} rows \u00b7 ${ds.columns.length} columns \u00b7 ${fmtBytes(ds.size)} \u00b7 uploaded ${fmtTime(ds.created_at)}`)),
    h('div', {class: 'actions'}, h('a', {class: 'btn', href: `/experiments/new?dataset=${encodeURIComponent(ds.id)}`}, 'New experiment'),
      h('button', {type: 'button', class: 'btn btn-danger', id: 'delete-dataset', onclick: () => dialog.showModal()}, 'Delete'))));
  const actionErr = h('div', {class: 'alert alert-error', role: 'alert', hidden: true, id: 'action-error'});
  const dialog = h('dialog', {'aria-labelledby': 'delete-h', id: 'delete-dialog'},
    h('h2', {id: 'delete-h'}, `Delete ${ds.name}?`),
    h('p', 'The dataset is removed. Finished experiments that used it keep their results; one that is queued or running keeps it from being deleted.'),
    h('form', {method: 'dialog', class: 'actions'},
      h('button', {type: 'submit', value: 'yes', class: 'btn btn-danger-solid', id: 'delete-confirm'}, 'Delete dataset'),
      h('button', {type: 'submit', value: 'no', class: 'btn btn-secondary', autofocus: true}, 'Keep it')));
  dialog.addEventListener('close', async () => {
    if (dialog.returnValue !== 'yes') return;
    showError(actionErr, null);
    try {
      await api(`/datasets/${encodeURIComponent(ds.id)}`, {method: 'DELETE', signal: ctx.signal});
      toast(`Dataset ${ds.name} deleted`);
      navigate('/datasets', {replace: true});
    } catch (e) {
      if (e.name !== 'AbortError') showError(actionErr, e, 'Could not delete the dataset');
    }
  });
  main.append(actionErr, dialog);
  main.append(h('section', {class: 'card', 'aria-labelledby': 'cols-h'}, h('h2', {id: 'cols-h'}, 'Columns'),
    h('div', {class: 'table-wrap'}, h('table', {id: 'columns-table'},
      h('thead', h('tr', h('th', 'Column'), h('th', 'Type'), h('th', {class: 'num'}, 'Missing'), h('th', {class: 'num'}, 'Distinct'), h('th', 'Distribution'))),
      h('tbody', ds.columns.map((c) => h('tr',
        h('td', h('strong', c.name)),
        h('td', c.type),
        h('td', {class: 'num'}, c.missing ? `${c.missing.toLocaleString('en')} (${fmtNum((100 * c.missing) / ds.rows, 1)}%)` : '0'),
        h('td', {class: 'num'}, c.distinct.toLocaleString('en')),
        h('td', histogram(c.histogram, c.name), rangeNote(c)))))))),
  h('p', {class: 'small muted'}, 'ID ', h('span', {class: 'mono'}, ds.id), ' \u00b7 SHA-256 ', h('span', {class: 'mono'}, ds.sha256)));
  const exps = h('section', {class: 'card', 'aria-labelledby': 'ds-exps-h', id: 'dataset-experiments'},
    h('h2', {id: 'ds-exps-h'}, 'Experiments on this dataset'), h('p', {class: 'loading'}, 'Loading\u2026'));
  main.querySelector('.card').before(exps);
  try {
    drawExperiments(exps, await allExperiments({dataset: ds.id}, ctx), ds);
  } catch (e) {
    if (e.name === 'AbortError') return;
    clear(exps).append(h('h2', {id: 'ds-exps-h'}, 'Experiments on this dataset'), errorBox(e, 'Could not list its experiments'));
  }
}

// rankExperiments puts the scored ones first, best first within each
// scorer (in its direction), the scorer with the most experiments first;
// then the rest, newest first.
export function rankExperiments(rows) {
  const dir = (name) => (meta.scorers.find((x) => x.name === name)?.higher_is_better ?? true) ? -1 : 1;
  const count = {};
  for (const r of rows) if (r.best_score !== undefined && r.best_score !== null) count[r.scorer] = (count[r.scorer] || 0) + 1;
  const scored = rows.filter((r) => r.best_score !== undefined && r.best_score !== null);
  const rest = rows.filter((r) => !scored.includes(r));
  scored.sort((a, b) => (count[b.scorer] - count[a.scorer]) || (a.scorer || '').localeCompare(b.scorer || '') ||
    dir(a.scorer) * (a.best_score - b.best_score) || b.created_at.localeCompare(a.created_at));
  rest.sort((a, b) => b.created_at.localeCompare(a.created_at));
  return [...scored, ...rest];
}

function drawExperiments(box, rows, ds) {
  clear(box).append(h('h2', {id: 'ds-exps-h'}, 'Experiments on this dataset'));
  if (!rows.length) {
    box.append(h('p', {class: 'empty'}, 'No experiment has used this dataset yet. ', h('a', {href: `/experiments/new?dataset=${encodeURIComponent(ds.id)}`}, 'Create one'), '.'));
    return;
  }
  const ranked = rankExperiments(rows);
  const scorers = new Set(ranked.filter((r) => r.best_score !== undefined && r.best_score !== null).map((r) => r.scorer));
  box.append(h('p', {class: 'small muted'}, `${rows.length} experiment${rows.length === 1 ? '' : 's'}; those with a model ranked by their best CV score` +
    (scorers.size > 1 ? ', per scorer' : '') + ', then the rest, newest first.'),
  h('div', {class: 'table-wrap'}, h('table', {id: 'dataset-experiments-table'},
    h('thead', h('tr', h('th', {class: 'num', scope: 'col'}, '#'), h('th', {scope: 'col'}, 'Experiment'), h('th', {scope: 'col'}, 'Status'),
      h('th', {class: 'num', scope: 'col'}, 'Best CV score'), h('th', {scope: 'col'}, 'Best model'), h('th', {class: 'hide-narrow', scope: 'col'}, 'Owner'), h('th', {class: 'hide-narrow', scope: 'col'}, 'Created'))),
    h('tbody', ranked.map((e, i) => {
      const scored = e.best_score !== undefined && e.best_score !== null;
      const rank = scored ? ranked.filter((r) => r.scorer === e.scorer).indexOf(e) + 1 : null;
      return h('tr', {dataset: {id: e.id}, class: rank === 1 ? 'best' : null},
        h('td', {class: 'num'}, rank ? String(rank) : '\u2013'),
        h('td', h('a', {href: `/experiments/${encodeURIComponent(e.id)}`}, expName(e)), h('div', {class: 'small muted mono'}, e.id)),
        h('td', badge(e.status)),
        h('td', {class: 'num nowrap'}, scored ? [fmtNum(e.best_score, 4), h('span', {class: 'small muted'}, ` ${e.scorer}`)] : '\u2013'),
        h('td', e.best_model || '\u2013'),
        h('td', {class: 'hide-narrow'}, e.owner || ''),
        h('td', {class: 'hide-narrow nowrap small'}, fmtTime(e.created_at)));
    })))));
}

function rangeNote(c) {
  const hist = c.histogram;
  if (!hist) return null;
  if (hist.edges?.length) return h('div', {class: 'small muted'}, `${fmtNum(hist.edges[0], 3)} \u2013 ${fmtNum(hist.edges[hist.edges.length - 1], 3)}`);
  if (hist.labels?.length) {
    const top = hist.labels.slice(0, 3).map((l, i) => `${l} (${hist.counts[i]})`).join(', ');
    return h('div', {class: 'small muted'}, top + (hist.labels.length > 3 ? ', \u2026' : ''));
  }
  return null;
}

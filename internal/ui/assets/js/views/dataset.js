// One dataset: its columns with type, missing values, distinct values and
// a small histogram.
import {api} from '../api.js';
import {h, fmtBytes, fmtTime, fmtNum, errorBox} from '../dom.js';
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
    h('div', {class: 'actions'}, h('a', {class: 'btn', href: `/experiments/new?dataset=${encodeURIComponent(ds.id)}`}, 'New experiment'))));
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

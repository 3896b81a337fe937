// Overview: what is running, what waits, and where to start.
import {api, listPage} from '../api.js';
import {h, clear, badge, expName, expDuration, queueText, errorBox, alertList} from '../dom.js';

export const title = 'Overview';

export async function render(main, ctx) {
  main.append(h('div', {class: 'page-head'}, h('div', h('h1', 'Overview'),
    h('p', {class: 'sub'}, 'AutoML experiments on tabular data, run across a pool of processors.')),
  h('div', {class: 'actions'}, h('a', {class: 'btn btn-secondary', href: '/datasets'}, 'Upload a dataset'),
    h('a', {class: 'btn', href: '/experiments/new'}, 'New experiment'))));
  const alerts = h('div', {class: 'alert', role: 'status', hidden: true, id: 'alerts'});
  const body = h('div');
  main.append(alerts, body);
  // The overview refreshes by itself (durations, counts, alerts).
  ctx.every(REFRESH_MS, () => draw(body, alerts, ctx));
}

const REFRESH_MS = 5000;

async function draw(body, alerts, ctx) {
  let info, exps, dss;
  try {
    // Counts come from System Info where the server has them; the recent
    // ones are the first page of the list.
    [info, exps] = await Promise.all([api('/system/info', ctx), listPage('/experiments', {limit: 8}, ctx)]);
    dss = info.datasets ?? (await listPage('/datasets', {}, ctx)).items.length;
  } catch (e) {
    if (e.name === 'AbortError') return;
    clear(body).append(errorBox(e, 'Could not load the overview'));
    return;
  }
  if (!ctx.alive) return;
  clear(body);
  alertList(alerts, info.alerts);
  const count = (st) => info.experiments ? info.experiments[st] || 0 : (exps.all || exps.items).filter((e) => e.status === st).length;
  body.append(h('div', {class: 'stats'},
    stat('Datasets', dss),
    stat('Running', count('running')),
    stat('Queued', count('queued')),
    stat('Succeeded', count('succeeded')),
    stat('Failed', count('failed')),
    stat('Cancelled', count('cancelled')),
    stat('Processors', `${info.busy_processors} busy of ${info.total_processors}`, true),
    stat('Worker mode', info.worker_mode, true)));
  const recent = exps.items.slice(0, 8);
  const card = h('section', {class: 'card', 'aria-labelledby': 'recent-h'}, h('h2', {id: 'recent-h'}, 'Recent experiments'));
  if (!recent.length) {
    card.append(h('p', {class: 'empty'}, dss
      ? ['No experiments yet. ', h('a', {href: '/experiments/new'}, 'Start one'), ' on a dataset you uploaded.']
      : ['Start by ', h('a', {href: '/datasets'}, 'uploading a CSV dataset'), '; then pick its target column and launch an experiment.']));
  } else {
    card.append(h('div', {class: 'table-wrap'}, h('table', h('thead', h('tr', h('th', 'Experiment'), h('th', 'Status'), h('th', 'Duration'))),
      h('tbody', recent.map((e) => h('tr',
        h('td', h('a', {href: `/experiments/${encodeURIComponent(e.id)}`}, expName(e))),
        h('td', badge(e.status), ' ', h('span', {class: 'small muted'}, queueText(e))),
        h('td', {class: 'nowrap'}, expDuration(e))))))));
  }
  body.append(card);
}

function stat(label, value, small) {
  return h('div', {class: 'stat'}, h('span', {class: 'label'}, label), h('span', {class: small ? 'value small' : 'value'}, String(value)));
}

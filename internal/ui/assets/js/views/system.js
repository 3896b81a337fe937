// Resources > System Info: worker mode, processors, queues and every
// worker with its health; refreshed every 2 s.
import {api} from '../api.js';
import {meta} from '../meta.js';
import {h, clear, setText, fmtAgo, fmtTime, showError, alertList} from '../dom.js';

export const title = 'System Info';

const POLL_MS = 2000;

export async function render(main, ctx) {
  main.append(h('div', {class: 'page-head'}, h('div',
    h('nav', {class: 'breadcrumb', 'aria-label': 'Breadcrumb'}, h('ol', h('li', 'Resources'), h('li', {'aria-current': 'page'}, 'System Info'))),
    h('h1', 'System Info'),
    h('p', {class: 'sub'}, 'Workers, processors and queues. This page refreshes by itself.'))));
  const err = h('div', {class: 'alert alert-error', role: 'alert', hidden: true});
  const alerts = h('div', {class: 'alert', role: 'status', hidden: true, id: 'alerts'});
  const stat = (id, label) => {
    const v = h('span', {class: 'value', id}, '\u2013');
    return [h('div', {class: 'stat'}, h('span', {class: 'label'}, label), v), v];
  };
  const [modeBox, mode] = stat('worker-mode', 'Worker mode');
  mode.classList.add('small');
  const [totalBox, total] = stat('total-processors', 'Total processors');
  const [busyBox, busy] = stat('busy-processors', 'Busy processors');
  const [workersBox, nWorkers] = stat('worker-count', 'Workers');
  const [cpuQBox, cpuQ] = stat('queue-cpu', 'CPU queue');
  const [gpuQBox, gpuQ] = stat('queue-gpu', 'GPU queue');
  const [gpusBox, gpus] = stat('gpu-count', 'GPUs (free / total)');
  const updated = h('p', {class: 'small muted', id: 'updated'});
  const tbody = h('tbody');
  const empty = h('p', {class: 'empty', hidden: true}, 'No worker is registered. Start one with ', h('code', 'drover worker'), '.');
  const col = (label, cls) => h('th', {scope: 'col', class: cls}, label);
  // The table is hidden while there is no worker: an empty header under
  // the "no worker" message says nothing.
  const tableWrap = h('div', {class: 'table-wrap', hidden: true}, h('table', {id: 'workers-table'},
    h('thead', h('tr', col('Worker'), col('Host'), col('Processors', 'num'), col('Running'),
      col('GPUs', 'num'), col('Capabilities'), col('Health'), col('State'), col('Last seen'))),
    tbody));
  main.append(err, alerts, h('div', {class: 'stats'}, modeBox, totalBox, busyBox, workersBox, cpuQBox, gpuQBox, gpusBox),
    h('section', {class: 'card', 'aria-labelledby': 'workers-h'}, h('h2', {id: 'workers-h'}, 'Workers'), empty,
      tableWrap),
    updated);
  // act drains or resumes a worker (admins only; the server says so to
  // others), then refreshes at once.
  let refresh = null;
  const act = async (w, action, btn) => {
    btn.disabled = true;
    try {
      await api(`/workers/${encodeURIComponent(w.id)}/${action}`, {method: 'POST', signal: ctx.signal});
      showError(err, null);
    } catch (e) {
      if (e.name !== 'AbortError') showError(err, e, `Could not ${action} ${w.name || w.id}`);
    }
    refresh?.();
  };
  ctx.every(POLL_MS, refresh = async () => {
    let info;
    try {
      info = await api('/system/info', ctx);
    } catch (e) {
      if (e.name !== 'AbortError') showError(err, e, 'Could not refresh system info');
      return;
    }
    showError(err, null);
    alertList(alerts, info.alerts);
    setText(mode, info.worker_mode);
    setText(total, info.total_processors);
    setText(busy, info.busy_processors);
    setText(nWorkers, info.workers.length);
    setText(cpuQ, info.queue.cpu);
    setText(gpuQ, info.queue.gpu);
    const g = info.workers.reduce((a, w) => [a[0] + (w.free_gpus || 0), a[1] + (w.gpus || 0)], [0, 0]);
    setText(gpus, `${g[0]} / ${g[1]}`);
    empty.hidden = info.workers.length > 0;
    tableWrap.hidden = info.workers.length === 0;
    clear(tbody);
    for (const w of info.workers) tbody.append(workerRow(w, act));
    setText(updated, `drover ${info.version} \u00b7 ${info.cpu_cores} CPU cores on the server \u00b7 updated ${new Date().toLocaleTimeString()}`);
  });
}

function workerRow(w, act) {
  const running = w.running || [];
  const state = w.state || 'active';
  // The server's own processors (multiprocessing) cannot be drained.
  const canAct = meta.worker_mode !== 'multiprocessing' && w.id !== 'local';
  const draining = state !== 'active';
  const btn = canAct ? h('button', {type: 'button', class: 'btn btn-secondary btn-small', dataset: {action: draining ? 'resume' : 'drain'},
    title: draining ? 'Take new experiments again' : 'Take nothing new; finish what runs'}, draining ? 'Resume' : 'Drain') : null;
  btn?.addEventListener('click', () => act(w, btn.dataset.action, btn));
  return h('tr', {dataset: {worker: w.id}},
    h('td', h('strong', w.name || w.id), w.name && w.name !== w.id ? h('div', {class: 'small muted mono'}, w.id) : null,
      w.started_at ? h('div', {class: 'small muted'}, `since ${fmtTime(w.started_at)}`) : null),
    h('td', w.host || '\u2013'),
    h('td', {class: 'num'}, String(w.processors)),
    h('td', running.length
      ? running.map((id) => h('div', h('a', {class: 'mono small', href: `/experiments/${encodeURIComponent(id)}`}, id)))
      : h('span', {class: 'muted'}, 'idle')),
    h('td', {class: 'num'}, w.gpus ? `${w.free_gpus} / ${w.gpus}` : '0'),
    h('td', (w.capabilities || []).length ? w.capabilities.map((c) => h('span', {class: 'chip'}, c)) : h('span', {class: 'muted'}, '\u2013')),
    h('td', h('span', {class: `badge badge-${w.health}`}, w.health)),
    h('td', {class: 'worker-state'}, h('span', {class: 'state'}, state), btn ? h('div', btn) : null),
    h('td', {class: 'nowrap', title: w.last_seen ? new Date(w.last_seen).toLocaleString() : ''}, fmtAgo(w.last_seen)));
}

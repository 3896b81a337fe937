// Datasets: upload (drop or pick a CSV, with a progress bar) and the list.
import {allDatasets, upload} from '../api.js';
import {h, clear, fmtBytes, fmtTime, errorBox, showError, toast} from '../dom.js';
import {navigate} from '../app.js';

export const title = 'Datasets';

export async function render(main, ctx) {
  main.append(h('div', {class: 'page-head'}, h('div', h('h1', 'Datasets'),
    h('p', {class: 'sub'}, 'CSV files with a header row. Each is stored once, under its SHA-256.'))));
  main.append(uploader(ctx));
  const list = h('section', {class: 'card', 'aria-labelledby': 'ds-list-h'}, h('h2', {id: 'ds-list-h'}, 'Uploaded datasets'));
  const body = h('div', h('p', {class: 'loading'}, 'Loading\u2026'));
  list.append(body);
  main.append(list);
  await refresh(body, ctx);
}

async function refresh(body, ctx) {
  let dss;
  try {
    dss = await allDatasets(ctx);
  } catch (e) {
    if (e.name !== 'AbortError') clear(body).append(errorBox(e, 'Could not list the datasets'));
    return;
  }
  clear(body);
  if (!dss.length) {
    body.append(h('p', {class: 'empty'}, 'No datasets yet. Upload a CSV file above.'));
    return;
  }
  dss.sort((a, b) => b.created_at.localeCompare(a.created_at));
  body.append(h('div', {class: 'table-wrap'}, h('table', {id: 'datasets-table'},
    h('thead', h('tr', h('th', 'Name'), h('th', {class: 'num'}, 'Rows'), h('th', {class: 'num'}, 'Columns'),
      h('th', {class: 'num'}, 'Size'), h('th', {class: 'hide-narrow'}, 'Uploaded'), h('th', h('span', {class: 'visually-hidden'}, 'Actions')))),
    h('tbody', dss.map((d) => h('tr', {dataset: {id: d.id}},
      h('td', h('a', {href: `/datasets/${encodeURIComponent(d.id)}`}, d.name), h('div', {class: 'small muted mono'}, d.id)),
      h('td', {class: 'num'}, d.rows.toLocaleString('en')),
      h('td', {class: 'num'}, String(d.column_count)),
      h('td', {class: 'num nowrap'}, fmtBytes(d.size)),
      h('td', {class: 'hide-narrow nowrap'}, fmtTime(d.created_at)),
      h('td', h('a', {class: 'btn btn-secondary', href: `/experiments/new?dataset=${encodeURIComponent(d.id)}`,
        'aria-label': `New experiment on ${d.name}`}, 'New experiment'))))))));
}

function uploader(ctx) {
  const input = h('input', {type: 'file', id: 'upload-file', name: 'file', accept: '.csv,text/csv,text/plain'});
  const zone = h('label', {class: 'dropzone', for: 'upload-file'},
    h('strong', 'Choose a CSV file'), ' or drop it here', h('br'), input);
  const bar = h('progress', {id: 'upload-progress', max: 100, value: 0, 'aria-label': 'Upload progress'});
  const text = h('span', {class: 'small', id: 'upload-text'});
  const abortBtn = h('button', {type: 'button', class: 'btn btn-secondary'}, 'Cancel upload');
  const status = h('div', {class: 'upload-status', hidden: true, 'aria-live': 'polite'}, bar, h('div', {class: 'actions'}, text, abortBtn));
  const err = h('div', {class: 'alert alert-error', role: 'alert', hidden: true});
  let current = null;

  const start = async (file) => {
    if (!file || current) return;
    showError(err, null);
    status.hidden = false;
    abortBtn.hidden = false;
    bar.value = 0;
    text.textContent = `Uploading ${file.name}\u2026`;
    current = upload(file, (done, total, finished) => {
      const pct = total ? Math.min(100, Math.round((done / total) * 100)) : 0;
      bar.value = pct;
      text.textContent = finished || pct >= 100
        ? `Uploaded ${fmtBytes(total)}; checking the file\u2026`
        : `Uploading ${file.name}: ${fmtBytes(done)} of ${fmtBytes(total)} (${pct}%)`;
    });
    ctx.onCleanup(() => current?.abort());
    try {
      const {dataset: ds, again} = await current.promise;
      bar.value = 100;
      toast(again ? `You uploaded ${ds.name} before: this is that dataset` : `Uploaded ${ds.name}: ${ds.rows} rows, ${ds.columns.length} columns`);
      if (ctx.alive) navigate(`/datasets/${encodeURIComponent(ds.id)}`);
    } catch (e) {
      if (!ctx.alive) return;
      status.hidden = true;
      showError(err, e, `Could not upload ${file.name}`);
    } finally {
      current = null;
      input.value = '';
    }
  };
  input.addEventListener('change', () => start(input.files[0]));
  abortBtn.addEventListener('click', () => current?.abort());
  zone.addEventListener('dragover', (ev) => { ev.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (ev) => {
    ev.preventDefault();
    zone.classList.remove('over');
    start(ev.dataTransfer.files[0]);
  });
  return h('section', {class: 'card', 'aria-labelledby': 'upload-h'}, h('h2', {id: 'upload-h'}, 'Upload a dataset'), zone, status, err);
}

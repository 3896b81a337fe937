// The create form: dataset, target (from the dataset's columns), task,
// scorer, the three dials, GPUs and an optional command.
import {api, allDatasets} from '../api.js';
import {meta} from '../meta.js';
import {h, clear, errorBox, showError, toast} from '../dom.js';
import {navigate} from '../app.js';

export const title = 'New experiment';

// What the dials mean (internal/engine/search PlanFor).
const timeBudget = ['', '20 s', '40 s', '1 min', '2 min', '4 min', '8 min', '15 min', '30 min', '1 h', '2 h'];
const accuracyHint = (v) => v <= 2 ? '3 folds, 1 GLM, 1 GBM: quickest'
  : v <= 4 ? '3 folds, 2 GLMs, 2 GBMs'
  : v <= 6 ? '5 folds, 3 GLMs, 4 GBMs, ensemble'
  : v <= 8 ? '5 folds, 4 GLMs, 6 GBMs, ensemble'
  : '10 folds, 4 GLMs, 8 GBMs, ensemble';
const interpHint = (v) => v >= 8 ? 'GLMs only: coefficients you can read'
  : v >= 6 ? 'trees at most 4 deep, no ensemble' : 'any model, ensembles allowed';

// guessTarget picks a likely target column: a usual name, else the last.
function guessTarget(cols) {
  const usual = ['target', 'class', 'label', 'y', 'outcome', 'species'];
  return cols.find((c) => usual.includes(c.name.toLowerCase()))?.name || cols[cols.length - 1]?.name || '';
}

export async function render(main, ctx) {
  main.append(h('div', {class: 'page-head'}, h('div',
    h('nav', {class: 'breadcrumb', 'aria-label': 'Breadcrumb'}, h('ol', h('li', h('a', {href: '/experiments'}, 'Experiments')), h('li', 'New'))),
    h('h1', 'New experiment'),
    h('p', {class: 'sub'}, 'Pick the data and the column to predict, set the dials, and launch.'))));
  let dss;
  try {
    dss = await allDatasets(ctx);
  } catch (e) {
    if (e.name !== 'AbortError') main.append(errorBox(e, 'Could not list the datasets'));
    return;
  }
  if (!dss.length) {
    main.append(h('div', {class: 'alert alert-info'}, 'There is no dataset yet. ', h('a', {href: '/datasets'}, 'Upload a CSV file'), ' first.'));
    return;
  }
  dss.sort((a, b) => b.created_at.localeCompare(a.created_at));
  // "New experiment like this": ?like=ID starts from that experiment's spec.
  let like = null;
  if (ctx.query.get('like')) {
    try {
      like = await api(`/experiments/${encodeURIComponent(ctx.query.get('like'))}`, ctx);
    } catch (e) {
      if (e.name === 'AbortError') return;
      main.append(errorBox(e, 'Could not load the experiment to copy'));
    }
  }
  if (like) {
    main.querySelector('.page-head .sub').textContent = `A copy of ${like.spec?.name || like.id}: change what you like and launch.`;
  }
  // List rows carry no column summaries: load the first dataset's now.
  const first = dss.find((d) => d.id === (like?.spec?.dataset_id || ctx.query.get('dataset'))) || dss[0];
  try {
    await withColumns(first, ctx);
  } catch (e) {
    if (e.name !== 'AbortError') main.append(errorBox(e, 'Could not load the dataset'));
    return;
  }
  main.append(form(dss, ctx, like?.spec));
}

// withColumns fills ds.columns from GET /datasets/{id} when the list row lacks them.
async function withColumns(ds, ctx) {
  if (ds && !ds.columns) ds.columns = (await api(`/datasets/${encodeURIComponent(ds.id)}`, ctx)).columns || [];
  return ds;
}

function field(id, label, control, hint) {
  return h('div', {class: 'field'}, h('label', {for: id}, label), control,
    hint ? h('span', {class: 'hint', id: id + '-hint'}, hint) : null);
}

// dial is a 1-10 slider with an "auto" box. Auto (the default, as in the
// CLI) leaves the value out of the spec: the engine suggests one from the
// data's shape. value() is the number to send, or 0 for auto.
function dial(id, label, value, describe) {
  const input = h('input', {type: 'range', id, name: id, min: 1, max: 10, step: 1, value: String(value), disabled: true, 'aria-describedby': id + '-hint'});
  const out = h('output', {for: id, id: id + '-value'}, 'auto');
  const hint = h('span', {class: 'hint', id: id + '-hint'}, 'auto: chosen from the data\u2019s size and shape');
  const auto = h('input', {type: 'checkbox', id: id + '-auto', checked: true});
  const show = () => {
    input.disabled = auto.checked;
    out.value = auto.checked ? 'auto' : input.value;
    hint.textContent = auto.checked ? 'auto: chosen from the data\u2019s size and shape' : describe(+input.value);
  };
  input.addEventListener('input', show);
  auto.addEventListener('change', show);
  const el = h('div', {class: 'dial'}, h('label', {for: id}, label), input, out, hint,
    h('label', {class: 'dial-auto small', for: id + '-auto'}, auto, ' auto'));
  return {el, input, auto, value: () => (auto.checked ? 0 : +input.value),
    set(v) { auto.checked = !v; if (v) input.value = String(v); show(); }};
}

// FIELDS maps a spec field, as the API names it in errors, to the control
// that shows it.
const FIELDS = {dataset_id: 'dataset', target: 'target', task: 'task', scorer: 'scorer', name: 'name',
  accuracy: 'accuracy', time: 'time', interpretability: 'interpretability', gpus: 'gpus', seed: 'seed',
  command: 'command', models: 'models', params: 'params', folds: 'folds', priority: 'priority'};

function controlFor(fieldName) {
  if (!fieldName) return null;
  const key = FIELDS[fieldName] || FIELDS[fieldName.split(/[.[]/)[0]];
  return key || null;
}

// parseParams reads "a=1, b=2" or one pair a line into an object.
export function parseParams(text) {
  const out = {};
  for (const part of text.split(/[\n,]/)) {
    const t = part.trim();
    if (!t) continue;
    const i = t.indexOf('=');
    if (i <= 0 || i === t.length - 1) throw new Error(`"${t}" is not name=value`);
    out[t.slice(0, i).trim()] = t.slice(i + 1).trim();
  }
  return out;
}

// allowedTasks says which tasks a target column can have.
export function allowedTasks(c) {
  if (!c) return ['auto', 'binary', 'multiclass', 'regression'];
  if (c.type === 'categorical') return c.distinct <= 2 ? ['auto', 'binary'] : ['auto', 'multiclass'];
  if (c.distinct <= 2) return ['auto', 'binary', 'regression'];
  return ['auto', 'multiclass', 'regression'];
}

function form(dss, ctx, like) {
  const want = like?.dataset_id || ctx.query.get('dataset');
  const dsSel = h('select', {id: 'dataset', name: 'dataset', required: true},
    dss.map((d) => h('option', {value: d.id, selected: d.id === want}, `${d.name} (${d.rows} rows, ${d.id})`)));
  const targetSel = h('select', {id: 'target', name: 'target', required: true, 'aria-describedby': 'target-hint'});
  const targetHint = h('span', {class: 'hint', id: 'target-hint'});
  const taskSel = h('select', {id: 'task', name: 'task'},
    [['auto', 'Detect from the target'], ['binary', 'Binary classification'], ['multiclass', 'Multiclass classification'], ['regression', 'Regression']]
      .map(([v, t]) => h('option', {value: v}, t)));
  const scorerSel = h('select', {id: 'scorer', name: 'scorer'});
  const name = h('input', {type: 'text', id: 'name', name: 'name', maxlength: 200, autocomplete: 'off', placeholder: 'optional'});
  // Priority: the classes this user may ask for (GET /api/v1/me says the
  // highest); high only for admins and users given max_priority high.
  const RANKS = ['high', 'normal', 'low'];
  const prioSel = h('select', {id: 'priority', name: 'priority', 'aria-describedby': 'priority-hint'},
    ['normal', 'low'].map((v) => h('option', {value: v, selected: v === 'normal'}, v)));
  const prioHint = h('span', {class: 'hint', id: 'priority-hint'}, 'First come, first served within a class; high goes before normal, normal before low.');
  let wantPriority = '';
  const offerPriorities = (most) => {
    const allowed = RANKS.slice(Math.max(0, RANKS.indexOf(most)));
    const prev = wantPriority || prioSel.value;
    clear(prioSel);
    for (const v of allowed) prioSel.append(h('option', {value: v}, v));
    prioSel.value = allowed.includes(prev) ? prev : allowed.includes('normal') ? 'normal' : allowed[0];
    if (!allowed.includes('high')) prioHint.textContent = 'First come, first served within a class; normal goes before low. High priority is for admins and users an admin allows.';
  };
  api('/me', ctx).then((me) => offerPriorities(me.max_priority || 'normal'), () => offerPriorities('normal'));
  const acc = dial('accuracy', 'Accuracy', 5, accuracyHint);
  const time = dial('time', 'Time', 3, (v) => `budget about ${timeBudget[v]}`);
  const interp = dial('interpretability', 'Interpretability', 5, interpHint);
  const models = h('fieldset', {id: 'models', class: 'models'}, h('legend', 'Models'),
    ['glm', 'gbm', 'xgboost'].map((m) => h('label', {class: 'check'}, h('input', {type: 'checkbox', name: 'models', value: m}), ' ', m)),
    h('span', {class: 'hint', id: 'models-hint'}, 'None ticked: every model family the processor has. xgboost needs a worker with libxgboost.'));
  const params = h('textarea', {id: 'params', name: 'params', rows: 2, placeholder: 'e.g. n_estimators=200, max_depth=6', 'aria-describedby': 'params-hint'});
  const folds = h('input', {type: 'number', id: 'folds', name: 'folds', min: 0, max: 20, step: 1, placeholder: 'from the dials', inputmode: 'numeric', 'aria-describedby': 'folds-hint'});
  const gpuNote = meta.worker_mode === 'multiprocessing'
    ? 'This server runs experiments on its own CPUs (worker mode multiprocessing); GPU experiments need workers.'
    : 'Experiments that ask for GPUs wait in the GPU queue for a worker with that many free GPUs.';
  const gpus = h('input', {type: 'number', id: 'gpus', name: 'gpus', min: 0, max: 64, step: 1, value: '0', inputmode: 'numeric',
    disabled: meta.worker_mode === 'multiprocessing', 'aria-describedby': 'gpus-hint'});
  const seed = h('input', {type: 'number', id: 'seed', name: 'seed', step: 1, placeholder: 'random', inputmode: 'numeric'});
  const command = h('textarea', {id: 'command', name: 'command', rows: 3, disabled: !meta.allow_command_experiments,
    placeholder: 'e.g. python3 train.py', 'aria-describedby': 'command-hint'});
  const err = h('div', {class: 'alert alert-error', role: 'alert', hidden: true, id: 'create-error'});
  // The most GPUs any online worker has; null until known (or no worker).
  let maxGPUs = null;
  if (meta.worker_mode !== 'multiprocessing') {
    api('/system/info', ctx).then((info) => {
      if (info.workers?.length) maxGPUs = Math.max(0, ...info.workers.map((w) => w.gpus || 0));
      gpus.max = String(maxGPUs ?? 64);
    }, () => {});
  }
  const submit = h('button', {type: 'submit', class: 'btn', id: 'launch'}, 'Launch experiment');

  const fillTargets = () => {
    const ds = dss.find((d) => d.id === dsSel.value);
    const prev = targetSel.value;
    clear(targetSel);
    for (const c of ds.columns) {
      targetSel.append(h('option', {value: c.name}, `${c.name} (${c.type}, ${c.distinct} distinct)`));
    }
    targetSel.value = ds.columns.some((c) => c.name === prev) ? prev : guessTarget(ds.columns);
    describeTarget();
    limitTasks();
  };
  // Tasks the target cannot have are not offered (a categorical target is
  // never regression; a 3-class one never binary).
  const limitTasks = () => {
    const ds = dss.find((d) => d.id === dsSel.value);
    const ok = allowedTasks(ds?.columns?.find((x) => x.name === targetSel.value));
    for (const o of taskSel.options) o.disabled = !ok.includes(o.value);
    if (!ok.includes(taskSel.value)) { taskSel.value = 'auto'; fillScorers(); }
  };
  const describeTarget = () => {
    const ds = dss.find((d) => d.id === dsSel.value);
    const c = ds?.columns?.find((x) => x.name === targetSel.value);
    if (!c) { targetHint.textContent = ''; return; }
    const guess = c.type === 'categorical' || c.distinct <= 2 ? (c.distinct <= 2 ? 'binary classification' : 'multiclass classification')
      : c.distinct <= 20 ? 'classification or regression' : 'regression';
    targetHint.textContent = `${c.type}, ${c.distinct} distinct values${c.missing ? `, ${c.missing} missing` : ''}: looks like ${guess}.`;
  };
  const fillScorers = () => {
    const task = taskSel.value;
    const prev = scorerSel.value;
    clear(scorerSel);
    scorerSel.append(h('option', {value: ''}, 'Default for the task'));
    for (const sc of meta.scorers) {
      if (task !== 'auto' && !sc.tasks.includes(task)) continue;
      scorerSel.append(h('option', {value: sc.name}, `${sc.name} (${sc.higher_is_better ? 'higher' : 'lower'} is better; ${sc.tasks.join(', ')})`));
    }
    scorerSel.value = [...scorerSel.options].some((o) => o.value === prev) ? prev : '';
  };
  dsSel.addEventListener('change', () => {
    withColumns(dss.find((d) => d.id === dsSel.value), ctx).then(fillTargets, (e) => { if (e.name !== 'AbortError') showError(err, e, 'Could not load the dataset'); });
  });
  targetSel.addEventListener('change', () => { describeTarget(); limitTasks(); });
  taskSel.addEventListener('change', fillScorers);
  fillTargets();
  fillScorers();

  const f = h('form', {class: 'stack', id: 'create-form', novalidate: true},
    h('div', {class: 'grid grid-2'},
      h('section', {class: 'card'}, h('h2', 'Data'),
        h('div', {class: 'stack'},
          field('dataset', 'Dataset', dsSel),
          h('div', {class: 'field'}, h('label', {for: 'target'}, 'Target column'), targetSel, targetHint),
          field('task', 'Task', taskSel),
          field('scorer', 'Scorer', scorerSel, 'The metric the search optimises.'),
          field('name', 'Name', name),
          h('div', {class: 'field'}, h('label', {for: 'priority'}, 'Priority'), prioSel, prioHint))),
      h('section', {class: 'card'}, h('h2', 'Dials'),
        h('div', {class: 'dials'}, acc.el, time.el, interp.el),
        h('details', {class: 'advanced'}, h('summary', 'Advanced'),
          h('div', {class: 'stack'},
            field('gpus', 'GPUs', gpus, gpuNote),
            models,
            field('params', 'Parameters', params, 'Fixed model parameters, name=value, separated by commas or lines.'),
            field('folds', 'Folds', folds, 'Cross-validation folds; empty = from the dials, 0 = one model fitted on all rows.'),
            field('seed', 'Seed', seed, 'Same seed and data give the same models.'),
            field('command', 'Command (bring your own recipe)', command, meta.allow_command_experiments
              ? 'Runs with sh -c instead of drover\'s AutoML; it gets DROVER_DATASET and DROVER_OUTPUT_DIR.'
              : 'Command experiments are off on this server (allow_command_experiments).'))))),
    err,
    h('div', {class: 'actions'}, submit, h('a', {class: 'btn btn-secondary', href: '/experiments'}, 'Back to experiments')));

  // fieldError marks one control invalid with its message beside it.
  const fieldErrors = [];
  const clearFieldErrors = () => {
    for (const [ctl, box] of fieldErrors.splice(0)) { ctl.removeAttribute('aria-invalid'); box.remove(); }
  };
  const fieldError = (id, message) => {
    const ctl = f.querySelector('#' + id);
    if (!ctl) return false;
    const box = h('span', {class: 'field-error', id: id + '-error', role: 'alert'}, message);
    ctl.setAttribute('aria-invalid', 'true');
    const prev = ctl.getAttribute('aria-describedby') || '';
    if (!prev.includes(id + '-error')) ctl.setAttribute('aria-describedby', (prev + ' ' + id + '-error').trim());
    (ctl.closest('.field, .dial, fieldset') || ctl.parentElement).append(box);
    fieldErrors.push([ctl, box]);
    const card = ctl.closest('details');
    if (card) card.open = true;
    ctl.focus();
    return true;
  };
  const whole = (input, lo, hi) => input.value === '' || (Number.isInteger(+input.value) && +input.value >= lo && +input.value <= hi);

  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showError(err, null);
    clearFieldErrors();
    const spec = {
      dataset_id: dsSel.value,
      target: targetSel.value,
      task: taskSel.value,
    };
    for (const [k, d] of [['accuracy', acc], ['time', time], ['interpretability', interp]]) if (d.value()) spec[k] = d.value();
    if (scorerSel.value) spec.scorer = scorerSel.value;
    if (name.value.trim()) spec.name = name.value.trim();
    if (prioSel.value && prioSel.value !== 'normal') spec.priority = prioSel.value;
    const gpuMax = maxGPUs ?? 64;
    if (!gpus.disabled && !whole(gpus, 0, 64)) { fieldError('gpus', 'GPUs must be a whole number from 0 to 64.'); return; }
    if (!gpus.disabled && maxGPUs !== null && +gpus.value > gpuMax) {
      fieldError('gpus', gpuMax ? `No worker online has ${+gpus.value} GPUs: the most any has is ${gpuMax}.` : 'No worker online has a GPU.');
      return;
    }
    if (+gpus.value > 0) spec.gpus = +gpus.value;
    if (seed.value !== '') {
      if (!Number.isInteger(+seed.value)) { fieldError('seed', 'The seed must be a whole number.'); return; }
      spec.seed = +seed.value;
    }
    const picked = [...models.querySelectorAll('input:checked')].map((x) => x.value);
    if (picked.length) spec.models = picked;
    if (params.value.trim()) {
      try { spec.params = parseParams(params.value); } catch (e) { fieldError('params', `Parameters: ${e.message}.`); return; }
    }
    if (folds.value !== '') {
      if (!whole(folds, 0, 20)) { fieldError('folds', 'Folds must be a whole number from 0 to 20.'); return; }
      spec.folds = +folds.value;
    }
    if (command.value.trim()) spec.command = command.value.trim();
    submit.disabled = true;
    submit.textContent = 'Launching\u2026';
    try {
      const e = await api('/experiments', {method: 'POST', body: spec, signal: ctx.signal});
      toast(`Experiment ${e.id} queued`);
      navigate(`/experiments/${encodeURIComponent(e.id)}`);
    } catch (e) {
      if (e.name === 'AbortError') return;
      // The API names the field it refuses: show the message there.
      const ctl = controlFor(e.field);
      if (!(ctl && fieldError(ctl === 'models' ? 'models' : ctl, e.plain ? e.plain() : e.message))) {
        showError(err, e, 'The experiment was not created');
        err.focus?.();
      }
      submit.disabled = false;
      submit.textContent = 'Launch experiment';
    }
  });
  err.tabIndex = -1;
  if (like) prefill(like);
  return f;

  // prefill sets every control from a spec (the experiment being copied).
  function prefill(sp) {
    if (sp.target && [...targetSel.options].some((o) => o.value === sp.target)) { targetSel.value = sp.target; describeTarget(); limitTasks(); }
    if (sp.task) { taskSel.value = sp.task; fillScorers(); }
    if (sp.scorer) scorerSel.value = sp.scorer;
    name.value = sp.name ? `${sp.name} (copy)` : '';
    acc.set(sp.accuracy || 0);
    time.set(sp.time || 0);
    interp.set(sp.interpretability || 0);
    if (sp.gpus) gpus.value = String(sp.gpus);
    if (sp.seed) seed.value = String(sp.seed);
    for (const box of models.querySelectorAll('input')) box.checked = (sp.models || []).includes(box.value);
    params.value = Object.entries(sp.params || {}).map(([k, v]) => `${k}=${v}`).join(', ');
    if (sp.folds !== undefined && sp.folds !== null) folds.value = String(sp.folds);
    if (sp.command) command.value = sp.command;
    if (sp.priority) {
      wantPriority = sp.priority;
      if ([...prioSel.options].some((o) => o.value === sp.priority)) prioSel.value = sp.priority;
    }
    if (sp.gpus || sp.seed || sp.models?.length || sp.params || sp.folds !== undefined || sp.command) f.querySelector('details.advanced').open = true;
  }
}

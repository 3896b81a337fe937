// One experiment, live: status, progress and logs stream in through
// server-sent events (no reload). While an AutoML search runs, the Search
// card shows the time used against the budget, a leaderboard that fills as
// candidates are scored and their scores over time (plan and candidate
// events); once it has succeeded, the final leaderboard, plots and
// artifacts appear.
import {api, artifactURL, toLogin, postFile} from '../api.js';
import {meta} from '../meta.js';
import {navigate} from '../app.js';
import {h, clear, setText, setBadge, badge, expName, expDuration, queueText, fmtTime, fmtNum, fmtBytes, fmtDuration, errorBox, showError, toast} from '../dom.js';
import {lineChart, scatterChart, barChart, confusionMatrix, scoreTimeline} from '../chart.js';

export const title = 'Experiment';

// pageTitle names the experiment in the browser tab.
function pageTitle(e) { return `${expName(e)} \u00b7 Experiment \u00b7 drover`; }

const MAX_LOG_LINES = 2000;

export async function render(main, ctx) {
  const id = ctx.params[0];
  const path = `/experiments/${encodeURIComponent(id)}`;
  let e;
  try {
    e = await api(path, ctx);
  } catch (err) {
    if (err.name === 'AbortError') return;
    main.append(h('h1', 'Experiment'), errorBox(err, 'Could not load the experiment'), h('p', h('a', {href: '/experiments'}, 'Back to experiments')));
    return;
  }
  const page = new Page(main, ctx, e);
  page.follow();
  ctx.every(1000, () => page.tick());
}

class Page {
  constructor(main, ctx, e) {
    this.ctx = ctx;
    this.e = e;
    this.id = e.id;
    this.resultsShown = false;
    this.logCount = 0;
    this.build(main);
    this.update(e);
  }

  build(main) {
    const e = this.e;
    this.title = h('h1');
    this.status = badge(e.status, 'exp-status');
    this.status.setAttribute('aria-live', 'polite');
    this.cancelBtn = h('button', {type: 'button', class: 'btn btn-danger', id: 'cancel'}, 'Cancel experiment');
    this.cancelBtn.addEventListener('click', () => this.confirmCancel());
    this.finishBtn = h('button', {type: 'button', class: 'btn btn-secondary', id: 'finish', title: 'Stop searching and keep the best model found so far'}, 'Finish now');
    this.finishBtn.addEventListener('click', () => this.finish());
    this.actionErr = h('div', {class: 'alert alert-error', role: 'alert', hidden: true, id: 'action-error'});
    this.renameBtn = h('button', {type: 'button', class: 'btn btn-secondary', id: 'rename'}, 'Rename');
    this.renameBtn.addEventListener('click', () => this.openRename());
    this.deleteBtn = h('button', {type: 'button', class: 'btn btn-danger', id: 'delete', hidden: true}, 'Delete');
    this.deleteBtn.addEventListener('click', () => this.delDialog.showModal());
    this.tagList = h('ul', {class: 'tags', id: 'tags', 'aria-label': 'Tags'});
    this.tagInput = h('input', {type: 'text', id: 'tag-input', maxlength: 64, placeholder: 'add a tag', autocomplete: 'off', 'aria-label': 'New tag'});
    const tagForm = h('form', {class: 'tag-form', id: 'tag-form'}, this.tagInput, h('button', {type: 'submit', class: 'btn btn-secondary btn-small', id: 'tag-add'}, 'Add tag'));
    tagForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const t = this.tagInput.value.trim();
      if (t) this.patch({add_tags: [t]}, 'Could not add the tag').then((ok) => { if (ok) this.tagInput.value = ''; });
    });
    this.tagBar = h('div', {class: 'tag-bar'}, this.tagList, tagForm);
    main.append(h('div', {class: 'page-head'},
      h('div', h('nav', {class: 'breadcrumb', 'aria-label': 'Breadcrumb'}, h('ol', h('li', h('a', {href: '/experiments'}, 'Experiments')), h('li', e.id))),
        this.title, h('p', {class: 'sub'}, 'Status ', this.status)),
      h('div', {class: 'actions'}, this.finishBtn, this.cancelBtn,
        h('a', {class: 'btn btn-secondary', id: 'clone', href: `/experiments/new?like=${encodeURIComponent(e.id)}`}, 'New experiment like this'),
        this.renameBtn, this.deleteBtn)), this.actionErr, this.tagBar);

    this.bar = h('div', {class: 'bar', role: 'progressbar', 'aria-label': 'Progress', 'aria-valuemin': 0, 'aria-valuemax': 100}, h('span'));
    this.message = h('p', {class: 'small', id: 'exp-message'});
    this.waiting = h('p', {class: 'small', id: 'exp-queue'});
    this.errBox = h('div', {class: 'alert alert-error', role: 'alert', hidden: true, id: 'exp-error'});
    // Warnings from the log (a column dropped, a candidate cut by the
    // budget...) are pulled out into a banner: they matter more than the
    // rest of the log and are easy to miss in it.
    this.warnings = new Set();
    this.warnList = h('ul', {class: 'warn-list'});
    this.warnBox = h('div', {class: 'alert alert-warn', role: 'status', hidden: true, id: 'exp-warnings'}, h('strong', 'Warnings'), this.warnList);
    this.stream = h('p', {class: 'small muted', id: 'stream-state'});
    this.facts = h('dl', {class: 'facts'});
    this.log = h('pre', {class: 'log', id: 'exp-log', tabindex: 0, 'aria-labelledby': 'log-h'});
    this.logNote = h('p', {class: 'small muted'});
    main.append(h('div', {class: 'grid grid-2'},
      h('section', {class: 'card', 'aria-labelledby': 'progress-h'}, h('h2', {id: 'progress-h'}, 'Progress'), this.bar, this.message, this.waiting, this.errBox, this.warnBox, this.stream,
        h('h3', {id: 'log-h'}, 'Log'), this.logNote, this.log),
      h('section', {class: 'card', 'aria-labelledby': 'details-h'}, h('h2', {id: 'details-h'}, 'Details'), this.facts)));

    this.plan = null;
    this.planAttempt = 0;
    this.cands = [];
    this.liveBudget = h('p', {id: 'live-budget'});
    this.liveBar = h('div', {class: 'bar', role: 'progressbar', 'aria-label': 'Time used of the budget', 'aria-valuemin': 0, 'aria-valuemax': 100, id: 'live-budget-bar'}, h('span'));
    this.liveChart = h('div', {id: 'live-chart'});
    this.liveBoard = h('div', {id: 'live-board'});
    this.live = h('section', {class: 'card', 'aria-labelledby': 'live-h', id: 'live', hidden: true},
      h('h2', {id: 'live-h'}, 'Search'), this.liveBudget, this.liveBar, h('div', {class: 'live-grid'}, this.liveChart, this.liveBoard));
    main.append(this.live);

    this.results = h('div', {id: 'results'});
    main.append(this.results);

    this.dialog = h('dialog', {'aria-labelledby': 'cancel-h'},
      h('h2', {id: 'cancel-h'}, 'Cancel this experiment?'),
      h('p', 'The running attempt is stopped and the experiment ends as cancelled. Models trained so far are not kept.'),
      h('form', {method: 'dialog', class: 'actions'},
        h('button', {type: 'submit', value: 'yes', class: 'btn btn-danger-solid', id: 'cancel-confirm'}, 'Cancel experiment'),
        h('button', {type: 'submit', value: 'no', class: 'btn btn-secondary', autofocus: true}, 'Keep it running')));
    this.dialog.addEventListener('close', () => { if (this.dialog.returnValue === 'yes') this.cancel(); });
    main.append(this.dialog);

    this.nameInput = h('input', {type: 'text', id: 'rename-input', maxlength: 200, autocomplete: 'off'});
    this.renameDialog = h('dialog', {'aria-labelledby': 'rename-h', id: 'rename-dialog'},
      h('h2', {id: 'rename-h'}, 'Rename this experiment'),
      h('form', {method: 'dialog', class: 'stack'},
        h('div', {class: 'field'}, h('label', {for: 'rename-input'}, 'Name'), this.nameInput),
        h('div', {class: 'actions'},
          h('button', {type: 'submit', value: 'yes', class: 'btn', id: 'rename-save'}, 'Save'),
          h('button', {type: 'submit', value: 'no', class: 'btn btn-secondary', formnovalidate: true}, 'Keep the name'))));
    this.renameDialog.addEventListener('close', () => {
      if (this.renameDialog.returnValue === 'yes') this.patch({name: this.nameInput.value.trim()}, 'Could not rename');
    });
    this.delDialog = h('dialog', {'aria-labelledby': 'delete-h', id: 'delete-dialog'},
      h('h2', {id: 'delete-h'}, 'Delete this experiment?'),
      h('p', 'Its models, artifacts, events and log are removed for good. The dataset stays.'),
      h('form', {method: 'dialog', class: 'actions'},
        h('button', {type: 'submit', value: 'yes', class: 'btn btn-danger-solid', id: 'delete-confirm'}, 'Delete experiment'),
        h('button', {type: 'submit', value: 'no', class: 'btn btn-secondary', autofocus: true}, 'Keep it')));
    this.delDialog.addEventListener('close', () => { if (this.delDialog.returnValue === 'yes') this.remove(); });
    main.append(this.renameDialog, this.delDialog);
  }

  // update shows the experiment's state (from GET or the end event).
  update(e) {
    this.e = e;
    setText(this.title, expName(e));
    if (this.ctx.alive && document.title !== pageTitle(e)) document.title = pageTitle(e);
    if (this.status.dataset.status !== e.status) setBadge(this.status, e.status);
    this.cancelBtn.hidden = ['succeeded', 'failed', 'cancelled'].includes(e.status);
    // Only a finished experiment may be deleted (the server says 409 otherwise).
    this.deleteBtn.hidden = !this.cancelBtn.hidden;
    this.drawTags();
    // Finish applies to a running AutoML search (a command has no search).
    this.finishBtn.hidden = e.status !== 'running' || !!(e.spec && e.spec.command);
    this.setProgress(e.status === 'succeeded' ? 1 : e.progress || 0, e.message);
    this.bar.classList.toggle('done', e.status === 'succeeded');
    this.bar.classList.toggle('failed', e.status === 'failed');
    setText(this.waiting, queueText(e));
    if (e.status === 'cancelled') {
      // A cancel is a person's choice, not a failure: say so plainly.
      clear(this.errBox);
      this.errBox.hidden = false;
      this.errBox.className = 'alert alert-info';
      this.errBox.setAttribute('role', 'status');
      this.errBox.append(e.started_at ? 'This experiment was cancelled while it ran; nothing it trained was kept.' : 'This experiment was cancelled before it started.');
    } else if (e.error) {
      this.errBox.className = 'alert alert-error';
      this.errBox.setAttribute('role', 'alert');
      showError(this.errBox, {message: e.error.message, code: e.error.code},
        e.failure_kind === 'user' ? 'The experiment failed (a problem with the data or settings)'
          : e.failure_kind === 'infra' ? 'The experiment failed (the processor running it was lost)'
            : e.failure_kind === 'timeout' ? 'The experiment ran out of time' : 'The experiment failed');
    } else showError(this.errBox, null);
    this.drawFacts();
    this.drawLive();
    if (e.status === 'succeeded' && !this.resultsShown) {
      this.resultsShown = true;
      this.showResults();
    }
  }

  setProgress(fraction, message) {
    const pct = Math.max(0, Math.min(100, Math.round(fraction * 100)));
    this.bar.firstChild.style.width = pct + '%';
    this.bar.setAttribute('aria-valuenow', String(pct));
    this.bar.dataset.progress = String(pct);
    setText(this.message, message ? `${pct}% \u00b7 ${message}` : `${pct}%`);
  }

  drawFacts() {
    const e = this.e, sp = e.spec;
    const rows = [
      ['ID', h('span', {class: 'mono'}, e.id)],
      ['Dataset', h('a', {href: `/datasets/${encodeURIComponent(sp.dataset_id)}`}, sp.dataset_id)],
      sp.command ? ['Command', h('code', sp.command)] : ['Target', sp.target],
      ['Task', e.summary?.task ? `${e.summary.task}${sp.task === 'auto' ? ' (detected)' : ''}` : sp.task || 'auto'],
      ['Scorer', e.summary?.scorer || sp.scorer || 'default for the task'],
      ['Dials', `accuracy ${sp.accuracy || 'auto'} \u00b7 time ${sp.time || 'auto'} \u00b7 interpretability ${sp.interpretability || 'auto'}`],
      ['GPUs', String(sp.gpus || 0)],
      ['Worker', e.worker ? (e.worker_name && e.worker_name !== e.worker ? `${e.worker_name} (${e.worker})` : e.worker) : '\u2013'],
      ['Attempt', e.attempt ? String(e.attempt) : '\u2013'],
      ['Created', fmtTime(e.created_at)],
      ['Started', fmtTime(e.started_at) || '\u2013'],
      ['Finished', fmtTime(e.finished_at) || '\u2013'],
      ['Duration', h('span', {id: 'exp-duration'}, expDuration(e))],
    ];
    clear(this.facts);
    for (const [k, v] of rows) this.facts.append(h('dt', k), h('dd', v));
  }

  tick() {
    const d = this.facts.querySelector('#exp-duration');
    if (d) setText(d, expDuration(this.e));
    if (this.plan && this.e.status === 'running') this.drawBudget();
  }

  // onPlan starts the Search card of an attempt; a retry starts it afresh.
  onPlan(ev) {
    if (!ev.plan) return;
    if (ev.attempt !== this.planAttempt) this.cands = [];
    this.plan = ev.plan;
    this.planAttempt = ev.attempt || 0;
    this.drawLiveSoon();
  }

  onCandidate(ev) {
    const c = ev.candidate;
    if (!c) return;
    if (ev.attempt && this.planAttempt && ev.attempt !== this.planAttempt) {
      if (ev.attempt < this.planAttempt) return; // a stale attempt
      this.cands = [];
      this.planAttempt = ev.attempt;
    }
    this.cands.push(c);
    this.drawLiveSoon();
  }

  // drawLiveSoon batches redraws: a finished run replays all its events at once.
  drawLiveSoon() {
    if (this.liveTimer) return;
    this.liveTimer = setTimeout(() => { this.liveTimer = null; if (this.ctx.alive) this.drawLive(); }, 100);
  }

  higherIsBetter() {
    const sc = meta.scorers.find((x) => x.name === this.plan?.scorer);
    return sc ? sc.higher_is_better : true;
  }

  // drawBudget shows the time used of the run's budget: elapsed while it
  // runs, the whole run once it has ended.
  drawBudget() {
    const e = this.e, budget = (this.plan?.budget_seconds || 0) * 1000;
    const start = e.started_at ? Date.parse(e.started_at) : null;
    if (!start || !budget) { setText(this.liveBudget, ''); this.liveBar.hidden = true; return; }
    const end = e.finished_at ? Date.parse(e.finished_at) : Date.now();
    const used = Math.max(0, end - start);
    const pct = Math.round((100 * used) / budget);
    this.liveBar.hidden = false;
    this.liveBar.firstChild.style.width = Math.min(100, pct) + '%';
    this.liveBar.setAttribute('aria-valuenow', String(Math.min(100, pct)));
    this.liveBar.classList.toggle('failed', pct > 110);
    const running = e.status === 'running';
    setText(this.liveBudget, `${running ? 'Elapsed' : 'Took'} ${fmtDuration(used) || '0 s'} of a ${fmtDuration(budget)} time budget (${pct}%)` +
      (running && pct >= 100 ? ': the search has stopped; the best model is being refitted.' : '.'));
  }

  drawLive() {
    const e = this.e;
    if (!this.plan && !this.cands.length) { this.live.hidden = true; return; }
    this.live.hidden = false;
    this.drawBudget();
    const hib = this.higherIsBetter(), scorer = this.plan?.scorer || e.summary?.scorer || 'score';
    clear(this.liveChart);
    if (this.cands.length) {
      const start = e.started_at ? Date.parse(e.started_at) : null;
      const until = start ? ((e.finished_at ? Date.parse(e.finished_at) : Date.now()) - start) / 1000 : 0;
      this.liveChart.append(scoreTimeline({caption: 'Score over time', scorer, higherIsBetter: hib, budget: this.plan?.budget_seconds, until,
        points: this.cands.map((c) => ({t: c.elapsed_seconds, score: c.cv_score, label: c.model})),
        note: `Each dot is a candidate, placed when it was scored; the line is the best so far (${hib ? 'higher' : 'lower'} is better).`}));
    }
    clear(this.liveBoard);
    // Once the run has succeeded, the final leaderboard below replaces this one.
    if (e.status === 'succeeded') return;
    if (!this.cands.length) {
      this.liveBoard.append(h('p', {class: 'empty', id: 'live-empty'}, e.status === 'running' ? 'No candidate scored yet; the first appears when its cross-validation ends.' : 'No candidate was scored.'));
      return;
    }
    const rows = [...this.cands].sort((a, b) => hib ? b.cv_score - a.cv_score : a.cv_score - b.cv_score);
    this.liveBoard.append(h('h3', {class: 'small'}, `${rows.length} candidate${rows.length === 1 ? '' : 's'} scored so far`),
      lbTable(rows, scorer, rowKey(rows[0]), 'live-leaderboard'));
  }

  // follow opens the event stream: progress, log and status events, then
  // "end" with the final experiment.
  follow() {
    const es = new EventSource(`/api/v1/experiments/${encodeURIComponent(this.id)}/events`);
    this.es = es;
    this.ctx.onCleanup(() => es.close());
    const data = (ev) => { try { return JSON.parse(ev.data); } catch { return {}; } };
    es.addEventListener('open', () => setText(this.stream, 'Live updates on.'));
    es.addEventListener('progress', (ev) => {
      const d = data(ev);
      this.e.progress = d.fraction;
      this.setProgress(d.fraction || 0, d.message);
    });
    es.addEventListener('log', (ev) => this.appendLog(data(ev)));
    es.addEventListener('plan', (ev) => this.onPlan(data(ev)));
    es.addEventListener('candidate', (ev) => this.onCandidate(data(ev)));
    // How a multinode worker got the dataset (cache hit or bytes fetched).
    es.addEventListener('data', (ev) => this.appendLog(data(ev)));
    es.addEventListener('status', (ev) => {
      const d = data(ev);
      this.appendLog({...d, level: 'status', message: `status ${d.status}${d.message && d.message !== d.status ? ': ' + d.message : ''}`});
      if (d.status && this.status.dataset.status !== d.status) setBadge(this.status, d.status);
      this.refresh();
    });
    es.addEventListener('result', (ev) => {
      const d = data(ev);
      this.appendLog({...d, level: d.status === 'succeeded' ? 'status' : 'error', message: `attempt ${d.attempt || ''} ended: ${d.status}${d.error ? ' \u2013 ' + d.error.message : ''}`});
    });
    es.addEventListener('end', (ev) => {
      es.close();
      setText(this.stream, 'The experiment has ended.');
      const e = data(ev);
      if (e.id) this.update(e);
    });
    es.addEventListener('error', () => {
      if (!this.ctx.alive) return;
      if (es.readyState === EventSource.CLOSED) {
        // The server refused the stream (login expired, experiment gone).
        setText(this.stream, 'Live updates stopped; checking\u2026');
        api(`/experiments/${encodeURIComponent(this.id)}`, this.ctx).then((e) => {
          this.update(e);
          if (!['succeeded', 'failed', 'cancelled'].includes(e.status)) setTimeout(() => this.ctx.alive && this.follow(), 3000);
        }, (err) => { if (err.status === 401) toLogin(); else setText(this.stream, 'Live updates stopped: ' + err.plain()); });
      } else {
        setText(this.stream, 'Connection lost; reconnecting\u2026');
      }
    });
  }

  async refresh() {
    try {
      this.update(await api(`/experiments/${encodeURIComponent(this.id)}`, this.ctx));
    } catch (err) {
      if (err.name !== 'AbortError') console.warn(err);
    }
  }

  appendLog(ev) {
    const atBottom = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 30;
    const t = ev.time ? new Date(ev.time).toLocaleTimeString() : '';
    const lv = (ev.level || 'info').toLowerCase();
    this.log.append(h('span', {class: `lv-${lv === 'warning' ? 'warn' : lv}`},
      h('span', {class: 't'}, t + ' '), ev.attempt ? `[${ev.attempt}] ` : '',
      // who caused it (a user's request); none for the system
      ev.actor ? h('span', {class: 'actor', title: `done by ${ev.actor}`, 'data-actor': ev.actor}, `@${ev.actor} `) : '',
      lv !== 'info' && lv !== 'status' ? lv + ': ' : '', ev.message || '', '\n'));
    this.logCount++;
    if ((lv === 'warn' || lv === 'warning') && ev.message && !this.warnings.has(ev.message) && this.warnings.size < 20) {
      this.warnings.add(ev.message);
      this.warnList.append(h('li', ev.message));
      this.warnBox.hidden = false;
    }
    if (this.log.childNodes.length > MAX_LOG_LINES) {
      this.log.firstChild.remove();
      setText(this.logNote, `Showing the last ${MAX_LOG_LINES} lines.`);
    }
    if (atBottom) this.log.scrollTop = this.log.scrollHeight;
  }

  drawTags() {
    const tags = this.e.tags || [];
    const key = tags.join('\n');
    if (this.tagList.dataset.key === key) return;
    this.tagList.dataset.key = key;
    clear(this.tagList);
    for (const t of tags) {
      const x = h('button', {type: 'button', class: 'tag-remove', 'aria-label': `Remove tag ${t}`, title: 'Remove'}, '\u00d7');
      x.addEventListener('click', () => this.patch({remove_tags: [t]}, 'Could not remove the tag'));
      this.tagList.append(h('li', {class: 'chip', dataset: {tag: t}}, h('span', t), x));
    }
  }

  openRename() {
    this.nameInput.value = this.e.spec?.name || '';
    this.renameDialog.showModal();
    this.nameInput.select();
  }

  // patch changes the name or tags (PATCH /experiments/{id}); true when done.
  async patch(body, what) {
    showError(this.actionErr, null);
    try {
      const e = await api(`/experiments/${encodeURIComponent(this.id)}`, {method: 'PATCH', body, signal: this.ctx.signal});
      this.update(e);
      return true;
    } catch (err) {
      if (err.name !== 'AbortError') showError(this.actionErr, err, what);
      return false;
    }
  }

  async remove() {
    showError(this.actionErr, null);
    this.deleteBtn.disabled = true;
    try {
      await api(`/experiments/${encodeURIComponent(this.id)}`, {method: 'DELETE', signal: this.ctx.signal});
      toast(`Experiment ${expName(this.e)} deleted`);
      navigate('/experiments', {replace: true});
    } catch (err) {
      if (err.name !== 'AbortError') showError(this.actionErr, err, 'Could not delete');
      this.deleteBtn.disabled = false;
    }
  }

  confirmCancel() {
    if (typeof this.dialog.showModal === 'function') this.dialog.showModal();
    else this.cancel();
  }

  async cancel() {
    showError(this.actionErr, null);
    this.cancelBtn.disabled = true;
    try {
      const e = await api(`/experiments/${encodeURIComponent(this.id)}/cancel`, {method: 'POST', signal: this.ctx.signal});
      this.update(e);
      toast('Cancel requested');
    } catch (err) {
      if (err.name !== 'AbortError') showError(this.actionErr, err, 'Could not cancel');
    } finally {
      this.cancelBtn.disabled = false;
    }
  }

  async finish() {
    showError(this.actionErr, null);
    this.finishBtn.disabled = true;
    try {
      await api(`/experiments/${encodeURIComponent(this.id)}/finish`, {method: 'POST', signal: this.ctx.signal});
      toast('Finish requested: the search stops and keeps the best model so far');
    } catch (err) {
      if (err.name !== 'AbortError') showError(this.actionErr, err, 'Could not finish');
    } finally {
      this.finishBtn.disabled = false;
    }
  }

  async showResults() {
    const e = this.e, box = this.results;
    clear(box);
    if (e.summary?.leaderboard?.length) box.append(leaderboard(e.summary)); // a command experiment has none
    const plots = h('section', {class: 'card', 'aria-labelledby': 'plots-h', id: 'plots'}, h('h2', {id: 'plots-h'}, 'Plots'), h('p', {class: 'loading'}, 'Loading plots\u2026'));
    const arts = h('section', {class: 'card', 'aria-labelledby': 'arts-h', id: 'artifacts'}, h('h2', {id: 'arts-h'}, 'Artifacts'), h('p', {class: 'loading'}, 'Loading\u2026'));
    box.append(plots, arts);
    if (!e.spec.command) box.append(scoreCard(this.id, this.ctx));
    const [p, a] = await Promise.allSettled([
      api(`/experiments/${encodeURIComponent(this.id)}/artifacts`, this.ctx),
      fetchJSON(artifactURL(this.id, 'plots.json'), this.ctx.signal),
    ]).then((r) => [r[1], r[0]]);
    if (!this.ctx.alive) return;
    drawPlots(plots, p, e);
    drawArtifacts(arts, a, this.id);
  }
}

async function fetchJSON(url, signal) {
  const res = await fetch(url, {signal, credentials: 'same-origin', headers: {Accept: 'application/json'}});
  if (res.status === 404) return null;
  if (!res.ok) {
    let msg = `The server answered ${res.status}`;
    try { msg = (await res.json()).error.message; } catch { /* keep */ }
    throw new Error(msg);
  }
  return res.json();
}

// rowKey identifies a leaderboard row by its model and parameters.
function rowKey(m) { return JSON.stringify([m.model, m.params || {}]); }

function fmtFit(sec) { return sec < 1 ? `${Math.round(sec * 1000)} ms` : `${sec.toFixed(1)} s`; }

// lbTable is a leaderboard table, best row marked; on a phone the
// parameters go under the model's name instead of their own column.
function lbTable(rows, scorer, bestKey, id) {
  return h('div', {class: 'table-wrap'}, h('table', {id, class: 'lb-table'},
    h('thead', h('tr', h('th', {class: 'num', scope: 'col'}, '#'), h('th', {scope: 'col'}, 'Model'), h('th', {class: 'num', scope: 'col'}, `CV ${scorer}`), h('th', {class: 'num', scope: 'col'}, '\u00b1 std'),
      h('th', {class: 'num', scope: 'col'}, 'Fit time'), h('th', {class: 'params', scope: 'col'}, 'Parameters'))),
    h('tbody', rows.map((m, i) => {
      const best = rowKey(m) === bestKey;
      const kv = Object.entries(m.params || {}).map(([k, v]) => `${k}=${v}`);
      const params = kv.join(' ');
      // On a phone each k=v stays whole on its line.
      const inline = kv.length ? h('div', {class: 'params-inline'}, kv.map((p) => [h('span', {class: 'kv'}, p), ' '])) : null;
      return h('tr', {class: best ? 'best' : null},
        h('td', {class: 'num'}, String(i + 1)),
        h('td', h('strong', m.model), best ? h('span', {class: 'tag'}, 'best') : null, inline),
        h('td', {class: 'num'}, fmtNum(m.cv_score, 4)),
        h('td', {class: 'num'}, fmtNum(m.cv_std, 4)),
        h('td', {class: 'num nowrap'}, fmtFit(m.fit_seconds)),
        h('td', {class: 'params'}, params));
    }))));
}

function leaderboard(sum) {
  const scorer = meta.scorers.find((s) => s.name === sum.scorer);
  const dir = scorer ? (scorer.higher_is_better ? 'higher is better' : 'lower is better') : '';
  const metrics = Object.entries(sum.metrics || {});
  return h('section', {class: 'card', 'aria-labelledby': 'lb-h', id: 'leaderboard'},
    h('h2', {id: 'lb-h'}, 'Leaderboard'),
    h('p', {class: 'small muted'}, `${sum.leaderboard.length} models, scored by cross-validated ${sum.scorer}${dir ? ' (' + dir + ')' : ''}` +
      (sum.rows ? ` on ${sum.rows.toLocaleString('en')} rows and ${sum.features} features` : '') + '.'),
    lbTable(sum.leaderboard, sum.scorer, rowKey(sum.best), 'leaderboard-table'),
    metrics.length ? [h('h3', {class: 'small'}, 'Best model, cross-validated'),
      h('dl', {class: 'facts', id: 'metrics'}, metrics.flatMap(([k, v]) => [h('dt', k), h('dd', fmtNum(v, 4))]))] : null);
}

function drawPlots(box, res, e) {
  clear(box).append(h('h2', {id: 'plots-h'}, 'Plots'));
  if (res.status === 'rejected') { box.append(errorBox(res.reason, 'Could not load the plots')); return; }
  const p = res.value;
  if (!p) { box.append(h('p', {class: 'empty'}, 'This experiment made no plots.')); return; }
  const src = p.source === 'cv' ? 'Out-of-fold predictions (cross-validation).' : 'In-sample predictions (cross-validation was off).';
  box.append(h('p', {class: 'small muted'}, src));
  const charts = h('div', {class: 'charts'});
  const m = e.summary?.metrics || {};
  if (p.roc) {
    charts.append(lineChart({caption: `ROC curve${m.auc !== undefined ? ` (AUC ${fmtNum(m.auc, 3)})` : ''}`, x: p.roc.x, y: p.roc.y,
      xLabel: 'False positive rate', yLabel: 'True positive rate', diagonal: true}));
  }
  if (p.pr) {
    charts.append(lineChart({caption: 'Precision\u2013recall curve', x: p.pr.x, y: p.pr.y, xLabel: 'Recall', yLabel: 'Precision'}));
  }
  if (p.confusion) {
    charts.append(confusionMatrix({caption: 'Confusion matrix', labels: p.confusion.labels, counts: p.confusion.counts}));
  }
  if (p.actual_vs_predicted) {
    const s = p.actual_vs_predicted;
    charts.append(scatterChart({caption: 'Actual vs predicted', x: s.predicted, y: s.actual, xLabel: 'Predicted', yLabel: 'Actual',
      note: (e.summary?.rows && s.actual.length < e.summary.rows
        ? `A random sample of ${s.actual.length.toLocaleString('en')} of ${e.summary.rows.toLocaleString('en')} rows`
        : `All ${s.actual.length.toLocaleString('en')} rows`) + '; the dashed line is a perfect prediction.'}));
  }
  if (p.importance?.length) {
    const top = p.importance.slice(0, 20);
    charts.append(barChart({caption: 'Feature importance', labels: top.map((x) => x.feature), values: top.map((x) => x.value),
      note: p.importance.length > 20 ? `Top 20 of ${p.importance.length} features.` : null}));
  }
  if (p.shap_importance?.length) {
    const top = p.shap_importance.slice(0, 20);
    charts.append(barChart({caption: 'Mean |SHAP| contribution', labels: top.map((x) => x.feature), values: top.map((x) => x.value),
      note: 'Mean absolute contribution to the raw score (log-odds, class margins or value) over up to 1,000 training rows' +
        (p.shap_importance.length > 20 ? `; top 20 of ${p.shap_importance.length} features.` : '.')}));
  }
  if (!charts.childElementCount) box.append(h('p', {class: 'empty'}, 'No plots for this task.'));
  else box.append(charts);
}

function drawArtifacts(box, res, id) {
  clear(box).append(h('h2', {id: 'arts-h'}, 'Artifacts'));
  if (res.status === 'rejected') { box.append(errorBox(res.reason, 'Could not list the artifacts')); return; }
  const list = res.value || [];
  if (!list.length) { box.append(h('p', {class: 'empty'}, 'No artifacts.')); return; }
  box.append(h('p', {class: 'actions'}, h('a', {class: 'btn btn-secondary', id: 'download-all', href: `/api/v1/experiments/${encodeURIComponent(id)}/artifacts.zip`, download: `${id}-artifacts.zip`}, 'Download all (zip)')),
    h('p', {class: 'small muted'}, 'Download one file, or all of them with ', h('code', `drover experiment download ${id} --out DIR`), '.'),
    h('ul', {id: 'artifact-list'}, list.map((a) => h('li', h('a', {href: artifactURL(id, a.name), download: a.name.split('/').pop()}, a.name),
      h('span', {class: 'muted small'}, ` ${fmtBytes(a.size)}`)))));
}

// scoreCard scores a CSV the user picks with this experiment's model and
// offers the predictions (with per-feature contributions when asked) as a
// download. The file goes to the server as it is; nothing is kept there.
function scoreCard(id, ctx) {
  const file = h('input', {type: 'file', id: 'score-file', accept: '.csv,text/csv'});
  const explain = h('input', {type: 'checkbox', id: 'score-explain'});
  const go = h('button', {type: 'submit', class: 'btn', id: 'score-go'}, 'Score the file');
  const out = h('div', {id: 'score-result', 'aria-live': 'polite'});
  const err = h('div', {class: 'alert alert-error', role: 'alert', hidden: true});
  let url = null;
  ctx.onCleanup(() => { if (url) URL.revokeObjectURL(url); });
  const form = h('form', {class: 'stack', id: 'score-form'},
    h('div', {class: 'field'}, h('label', {for: 'score-file'}, 'CSV file with the same columns (the target may be missing)'), file),
    h('label', {class: 'check', for: 'score-explain'}, explain, ' Add each feature\u2019s contribution to every prediction (contrib.* columns)'),
    h('div', {class: 'actions'}, go), err, out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showError(err, null);
    clear(out);
    const f = file.files[0];
    if (!f) { showError(err, {message: 'Pick a CSV file first.'}); file.focus(); return; }
    go.disabled = true;
    setText(go, 'Scoring\u2026');
    try {
      const blob = await postFile(`/experiments/${encodeURIComponent(id)}/predict${explain.checked ? '?explain=true' : ''}`, f, {signal: ctx.signal});
      if (url) URL.revokeObjectURL(url);
      url = URL.createObjectURL(blob);
      const name = f.name.replace(/\.csv$/i, '') + '-predictions.csv';
      const lines = (await blob.text()).split('\n').filter(Boolean);
      const cols = (lines[0] || '').split(',');
      out.append(h('p', `${Math.max(0, lines.length - 1).toLocaleString('en')} rows scored. `, h('a', {href: url, download: name, id: 'score-download'}, `Download ${name}`)),
        h('p', {class: 'small muted', id: 'score-columns'}, `Columns: ${cols.slice(0, 8).join(', ')}${cols.length > 8 ? `, \u2026 (${cols.length} in all)` : ''}`));
    } catch (e) {
      if (e.name !== 'AbortError') showError(err, e, 'Could not score the file');
    } finally {
      go.disabled = false;
      setText(go, 'Score the file');
    }
  });
  return h('section', {class: 'card', 'aria-labelledby': 'score-h', id: 'score'}, h('h2', {id: 'score-h'}, 'Score a file'), form);
}

// The app's shell: client-side routing with the history API, navigation
// state, and the life cycle of views (each view may start timers and
// streams; they are stopped when the user leaves the page).

import {meta} from './meta.js';
import {h, clear} from './dom.js';
import * as home from './views/home.js';
import * as datasets from './views/datasets.js';
import * as dataset from './views/dataset.js';
import * as experiments from './views/experiments.js';
import * as newExperiment from './views/new-experiment.js';
import * as experiment from './views/experiment.js';
import * as compare from './views/compare.js';
import * as system from './views/system.js';
import * as login from './views/login.js';

const routes = [
  {re: /^\/$/, view: home, nav: ''},
  {re: /^\/datasets$/, view: datasets, nav: 'datasets'},
  {re: /^\/datasets\/([^/]+)$/, view: dataset, nav: 'datasets'},
  {re: /^\/experiments$/, view: experiments, nav: 'experiments'},
  {re: /^\/experiments\/new$/, view: newExperiment, nav: 'experiments'},
  {re: /^\/experiments\/compare$/, view: compare, nav: 'experiments'},
  {re: /^\/experiments\/([^/]+)$/, view: experiment, nav: 'experiments'},
  {re: /^\/system$/, view: system, nav: 'system'},
  {re: /^\/login$/, view: login, nav: ''},
];

const notFound = {
  title: 'Page not found',
  render(main) {
    main.append(h('h1', 'Page not found'),
      h('p', 'There is no page at ', h('code', location.pathname), '.'),
      h('p', h('a', {href: '/'}, 'Go to the overview')));
  },
};

// Context is handed to a view: its cleanup hooks, timers and abort signal.
class Context {
  constructor(params, query) {
    this.params = params;
    this.query = query;
    this.abort = new AbortController();
    this.signal = this.abort.signal;
    this.cleanups = [];
  }
  onCleanup(fn) { this.cleanups.push(fn); }
  // every calls fn now and then every ms, while the page is shown and the
  // tab is visible; a call never overlaps the previous one.
  every(ms, fn) {
    let timer = null;
    let stopped = false;
    const tick = async () => {
      if (stopped) return;
      if (document.visibilityState !== 'hidden') {
        try { await fn(); } catch (e) { if (e.name !== 'AbortError') console.error(e); }
      }
      if (!stopped) timer = setTimeout(tick, ms);
    };
    const onVisible = () => { if (document.visibilityState === 'visible' && timer !== null) { clearTimeout(timer); tick(); } };
    document.addEventListener('visibilitychange', onVisible);
    tick();
    this.onCleanup(() => { stopped = true; clearTimeout(timer); document.removeEventListener('visibilitychange', onVisible); });
  }
  get alive() { return !this.signal.aborted; }
  close() {
    this.abort.abort();
    for (const fn of this.cleanups.splice(0)) {
      try { fn(); } catch (e) { console.error(e); }
    }
  }
}

let current = null;

function match(path) {
  for (const r of routes) {
    const m = path.match(r.re);
    if (m) return {route: r, params: m.slice(1).map(decodeURIComponent)};
  }
  return {route: {view: notFound, nav: ''}, params: []};
}

function markNav(nav) {
  for (const a of document.querySelectorAll('.mainnav a[data-nav]')) {
    if (a.dataset.nav === nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.querySelector('.mainnav summary')?.classList.toggle('current', nav === 'system');
  const menu = document.getElementById('resources-menu');
  if (menu) menu.open = false;
}

async function render({focus = true} = {}) {
  current?.close();
  const {route, params} = match(location.pathname);
  const ctx = new Context(params, new URLSearchParams(location.search));
  current = ctx;
  const main = document.getElementById('main');
  clear(main);
  markNav(route.nav);
  document.getElementById('session').hidden = !meta.auth || route.view === login;
  document.querySelector('.mainnav').hidden = meta.auth && route.view === login;
  const view = route.view;
  document.title = (typeof view.title === 'function' ? view.title(params) : view.title || 'drover') + ' · drover';
  try {
    await view.render(main, ctx);
  } catch (e) {
    if (e.name === 'AbortError' || !ctx.alive) return;
    console.error(e);
    main.append(h('div', {class: 'alert alert-error', role: 'alert'}, 'This page failed to draw: ' + (e.plain ? e.plain() : e.message)));
  }
  if (focus && ctx.alive && !main.contains(document.activeElement)) {
    const h1 = main.querySelector('h1');
    if (h1) { h1.tabIndex = -1; h1.focus({preventScroll: true}); }
  }
}

// navigate shows path without reloading the page.
// state goes with the history entry (history.state).
export function navigate(path, {replace = false, state = null} = {}) {
  if (replace) history.replaceState(state, '', path);
  else history.pushState(state, '', path);
  window.scrollTo(0, 0);
  render();
}

// Links to pages of the app are followed in place; downloads, other
// origins, /api/ and modified clicks are left to the browser.
document.addEventListener('click', (ev) => {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const a = ev.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/assets/')) return;
  ev.preventDefault();
  if (url.pathname + url.search === location.pathname + location.search) { render(); return; }
  navigate(url.pathname + url.search);
});

window.addEventListener('popstate', () => render());

// The Resources menu closes on Escape and on a click elsewhere.
document.addEventListener('keydown', (ev) => {
  const menu = document.getElementById('resources-menu');
  if (ev.key === 'Escape' && menu?.open) { menu.open = false; menu.querySelector('summary').focus(); }
});
document.addEventListener('click', (ev) => {
  const menu = document.getElementById('resources-menu');
  if (menu?.open && !menu.contains(ev.target)) menu.open = false;
});

document.getElementById('version').textContent = meta.version ? `drover ${meta.version}` : 'drover';
render({focus: false});

// Login with the server's API token. The server sets an HttpOnly cookie;
// the page never keeps the token itself.
import {meta} from '../meta.js';
import {h, showError} from '../dom.js';

export const title = 'Log in';

function nextPath(q) {
  const n = q.get('next') || '/';
  return n.startsWith('/') && !n.startsWith('//') && !n.startsWith('/\\') ? n : '/';
}

export async function render(main, ctx) {
  const box = h('section', {class: 'card login-box', 'aria-labelledby': 'login-h'});
  main.append(box);
  if (!meta.auth) {
    box.append(h('h1', {id: 'login-h'}, 'No login needed'),
      h('p', 'This server has no API token configured, so anyone who can reach it may use it.'),
      h('p', h('a', {class: 'btn', href: '/'}, 'Go to the overview')));
    return;
  }
  const next = nextPath(ctx.query);
  const err = h('div', {class: 'alert alert-error', role: 'alert', id: 'login-error', hidden: true, tabindex: -1});
  if (ctx.query.get('error') === 'wrong_token') showError(err, {message: 'That token is not this server\'s API token. Check it and try again.'});
  const token = h('input', {type: 'password', id: 'token', name: 'token', required: true, autocomplete: 'current-password', 'aria-describedby': 'token-hint'});
  const submit = h('button', {type: 'submit', class: 'btn', id: 'login-submit'}, 'Log in');
  const form = h('form', {class: 'stack', method: 'post', action: '/login'},
    h('input', {type: 'hidden', name: 'next', value: next}),
    h('div', {class: 'field'}, h('label', {for: 'token'}, 'API token'), token,
      h('span', {class: 'hint', id: 'token-hint'}, 'The api_token from the server\'s config.toml (or DROVER_API_TOKEN).')),
    err, h('div', submit));
  box.append(h('h1', {id: 'login-h'}, 'Log in to drover'), form);
  token.focus();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showError(err, null);
    if (!token.value) { showError(err, {message: 'Enter the API token.'}); token.focus(); return; }
    submit.disabled = true;
    try {
      const res = await fetch('/login', {method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json'},
        body: new URLSearchParams({token: token.value, next})});
      if (res.ok) {
        location.assign(next); // a full load: the cookie now opens every page
        return;
      }
      let msg = `The server answered ${res.status}.`;
      try { msg = (await res.json()).error.message; } catch { /* keep */ }
      if (res.status === 401) msg = 'That token is not this server\'s API token. Check it and try again.';
      showError(err, {message: msg});
      token.select();
      err.focus();
    } catch (e) {
      showError(err, {message: 'Cannot reach the drover server. Check that it is running, then try again.'});
    } finally {
      submit.disabled = false;
    }
  });
}

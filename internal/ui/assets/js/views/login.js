// Login with a user name and password, or with an API token (a user's, or
// the server's api_token). The server sets an HttpOnly cookie; the page
// never keeps the secret itself.
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
  const why = {
    wrong_token: 'That token is not this server\'s API token. Check it and try again.',
    wrong_password: 'That user name and password do not match. Check them and try again.',
    too_many_attempts: 'Too many failed logins from your address: wait a little, then try again.',
  };
  if (why[ctx.query.get('error')]) showError(err, {message: why[ctx.query.get('error')]});
  const user = h('input', {type: 'text', id: 'user', name: 'user', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', 'aria-describedby': 'user-hint'});
  const password = h('input', {type: 'password', id: 'password', name: 'password', autocomplete: 'current-password'});
  const token = h('input', {type: 'password', id: 'token', name: 'token', autocomplete: 'off', 'aria-describedby': 'token-hint'});
  const submit = h('button', {type: 'submit', class: 'btn', id: 'login-submit'}, 'Log in');
  const form = h('form', {class: 'stack', method: 'post', action: '/login'},
    h('input', {type: 'hidden', name: 'next', value: next}),
    h('fieldset', {class: 'stack'}, h('legend', 'User name and password'),
      h('div', {class: 'field'}, h('label', {for: 'user'}, 'User name'), user,
        h('span', {class: 'hint', id: 'user-hint'}, 'A password is set with: drover user passwd NAME')),
      h('div', {class: 'field'}, h('label', {for: 'password'}, 'Password'), password)),
    h('fieldset', {class: 'stack'}, h('legend', 'Or an API token'),
      h('div', {class: 'field'}, h('label', {for: 'token'}, 'API token'), token,
        h('span', {class: 'hint', id: 'token-hint'}, 'Your token from drover user create, or the api_token from the server\'s config.toml (or DROVER_API_TOKEN).'))),
    err, h('div', submit));
  box.append(h('h1', {id: 'login-h'}, 'Log in to drover'), form);
  user.focus();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showError(err, null);
    const byPassword = user.value.trim() !== '';
    if (byPassword && !password.value) { showError(err, {message: 'Enter your password.'}); password.focus(); return; }
    if (!byPassword && !token.value) { showError(err, {message: 'Enter your user name and password, or an API token.'}); user.focus(); return; }
    const fields = byPassword ? {user: user.value.trim(), password: password.value, next} : {token: token.value, next};
    submit.disabled = true;
    try {
      const res = await fetch('/login', {method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json'},
        body: new URLSearchParams(fields)});
      if (res.ok) {
        location.assign(next); // a full load: the cookie now opens every page
        return;
      }
      let msg = `The server answered ${res.status}.`;
      let code = '';
      try { const e = (await res.json()).error; msg = e.message; code = e.code; } catch { /* keep */ }
      if (why[code]) msg = why[code];
      showError(err, {message: msg});
      (byPassword ? password : token).select();
      err.focus();
    } catch (e) {
      showError(err, {message: 'Cannot reach the drover server. Check that it is running, then try again.'});
    } finally {
      submit.disabled = false;
    }
  });
}

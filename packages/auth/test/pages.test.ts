import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  PASSWORD_FORM_FIELDS,
  SIGN_IN_PAGE_CSP,
  escapeHtml,
  renderRefused,
  renderSignInChooser,
  renderSignInFailed,
  upstreamErrors,
} from '../src/upstream/index.ts';
import { parseForms, parseLinks } from '../../../test/support/browser-flow.ts';

const EVIL = '<script>alert("x")</script>&\'';

test('escapeHtml escapes the five HTML specials', () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
});

test('the chooser shows one link per provider and the password form with a hidden csrf field', () => {
  const html = renderSignInChooser({
    serverName: 'context7',
    providers: [{ id: 'google', label: 'Google', href: '/login/google?uid=abc&x=1' }, { id: 'oidc', label: 'Example Corp', href: '/login/oidc' }],
    passwordAction: '/login/password?uid=abc',
    csrfToken: 'csrf-123',
  });
  const page = new URL('https://context7.mcp.example.com/login');
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /<html lang="en">/);
  assert.match(html, /<h1>Sign in to context7<\/h1>/);
  const links = parseLinks(html, page);
  assert.deepEqual(links.map((link) => [link.text, link.href.pathname + link.href.search]), [
    ['Sign in with Google', '/login/google?uid=abc&x=1'],
    ['Sign in with Example Corp', '/login/oidc'],
  ]);
  const [form] = parseForms(html, page);
  assert.equal(form.method, 'POST');
  assert.equal(form.action.href, 'https://context7.mcp.example.com/login/password?uid=abc');
  assert.deepEqual(form.fields, [[PASSWORD_FORM_FIELDS.csrf, 'csrf-123'], [PASSWORD_FORM_FIELDS.username, ''], [PASSWORD_FORM_FIELDS.password, '']]);
  assert.match(html, /<label for="username">/);
  assert.match(html, /<label for="password">/);
  assert.match(html, /autocomplete="current-password"/);
  assert.doesNotMatch(html, /<script/i);
});

test('without password configured there is no form; without anything, a plain note', () => {
  const html = renderSignInChooser({ serverName: 's', providers: [{ id: 'github', label: 'GitHub', href: '/login/github' }], csrfToken: 't' });
  assert.equal(parseForms(html, new URL('http://x/')).length, 0);
  const empty = renderSignInChooser({ serverName: 's', providers: [], csrfToken: 't' });
  assert.match(empty, /No way to sign in is configured/);
});

test('the chooser escapes every interpolated value', () => {
  const html = renderSignInChooser({
    serverName: EVIL,
    providers: [{ id: EVIL, label: EVIL, href: `/login?x="><script>` }],
    passwordAction: '/login/password?a="b"',
    csrfToken: `"><script>`,
    error: EVIL,
    username: `"><img src=x onerror=alert(1)>`,
  });
  assert.doesNotMatch(html, /<script>|<img/);
  assert.match(html, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;&amp;&#39;/);
  assert.match(html, /role="alert"/);
  const [form] = parseForms(html, new URL('http://x/'));
  assert.deepEqual(form.fields[0], ['csrf_token', '"><script>'], 'the value survives escaping');
  assert.deepEqual(form.fields[1], ['username', `"><img src=x onerror=alert(1)>`]);
});

test('links other than paths or http(s) URLs are refused', () => {
  for (const href of ['javascript:alert(1)', '//evil.test/x', 'data:text/html,x']) {
    assert.throws(() => renderSignInChooser({ serverName: 's', providers: [{ id: 'g', label: 'G', href }], csrfToken: 't' }), TypeError);
  }
});

test('the refused page names the account and the server, offers another sign-in, and never lists who is allowed', () => {
  const html = renderRefused({ serverName: 'notion', account: `mallory@evil.test${EVIL}`, signInAgainHref: '/login?choose_account=1' });
  assert.match(html, /mallory@evil\.test&lt;script&gt;/);
  assert.doesNotMatch(html, /<script>/);
  assert.match(html, /not allowed to use <strong>notion<\/strong>/);
  const links = parseLinks(html, new URL('https://notion.mcp.example.com/callback/google'));
  assert.deepEqual(links.map((link) => [link.text, link.href.href]), [['Sign in with another account', 'https://notion.mcp.example.com/login?choose_account=1']]);
  assert.doesNotMatch(html, /example\.com|allow-list|domains/);
  assert.match(renderRefused({ serverName: 'n', account: 'a', signInAgainHref: '/login', reason: 'unverified_email' }), /not verified/);
});

test('the failure page shows an exposed message, and hides a 5xx one', () => {
  const shown = renderSignInFailed({ serverName: 's', error: upstreamErrors.invalid_state({ provider: 'Google' }), signInAgainHref: '/login' });
  assert.match(shown, /has expired, was already used/);
  const hidden = renderSignInFailed({ serverName: 's', error: { message: 'ECONNREFUSED 10.1.2.3', expose: false }, signInAgainHref: '/login' });
  assert.doesNotMatch(hidden, /10\.1\.2\.3/);
});

test('the CSP allows the inline style by hash and nothing else', () => {
  const html = renderRefused({ serverName: 's', account: 'a', signInAgainHref: '/login' });
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1];
  assert.ok(SIGN_IN_PAGE_CSP.includes(`'sha256-${createHash('sha256').update(style).digest('base64')}'`));
  assert.match(SIGN_IN_PAGE_CSP, /default-src 'none'/);
  assert.match(SIGN_IN_PAGE_CSP, /frame-ancestors 'none'/);
});

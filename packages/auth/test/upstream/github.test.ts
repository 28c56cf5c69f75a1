// GitHub is unreachable from the test machine, so a small node:http server stands
// in for it, answering with the shapes GitHub documents (docs.github.com, REST API
// 2022-11-28): /login/oauth/authorize redirects back with code and state,
// /login/oauth/access_token answers JSON when asked with Accept: application/json,
// /user, /user/emails, /user/orgs, /user/teams (the latter two paginated with Link).
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { GITHUB_ENDPOINTS, UpstreamError, allowInsecureUpstream, createGithubProvider } from '../../src/upstream/index.ts';
import { CookieJar, followBrowserFlow } from '../../../../test/support/browser-flow.ts';
import { PUBLIC_URL } from './idp-sign-in.ts';

const CLIENT = { clientId: 'Iv1.github-client', clientSecret: 'github-secret' };
const TOKEN = 'gho_token_of_octocat';

type FakeGithub = {
  base: string;
  calls: string[];
  emails: unknown[];
  deny: boolean;
  failPath?: string;
};

async function startFakeGithub(t: TestContext): Promise<FakeGithub> {
  const codes = new Map<string, { challenge: string; redirectUri: string }>();
  const state: FakeGithub = {
    base: '',
    calls: [],
    emails: [
      { email: 'octocat@users.noreply.github.example', primary: false, verified: true, visibility: null },
      { email: 'octocat@github.example', primary: true, verified: true, visibility: 'public' },
    ],
    deny: false,
  };
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', state.base);
    state.calls.push(`${req.method} ${url.pathname}`);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/login/oauth/authorize') {
      const back = new URL(url.searchParams.get('redirect_uri') ?? '');
      if (state.deny) {
        back.searchParams.set('error', 'access_denied');
        back.searchParams.set('error_description', 'The user has denied your application access.');
      } else {
        assert.equal(url.searchParams.get('client_id'), CLIENT.clientId);
        assert.equal(url.searchParams.get('scope'), 'read:user user:email read:org');
        assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
        const code = `code-${codes.size}`;
        codes.set(code, { challenge: url.searchParams.get('code_challenge') ?? '', redirectUri: back.href });
        back.searchParams.set('code', code);
      }
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      res.writeHead(302, { location: back.href }).end();
      return;
    }
    if (url.pathname === '/login/oauth/access_token' && req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const form = new URLSearchParams(body);
      assert.match(req.headers.accept ?? '', /application\/json/);
      const issued = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      const { createHash } = await import('node:crypto');
      const challenge = createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url');
      if (form.get('client_id') !== CLIENT.clientId || form.get('client_secret') !== CLIENT.clientSecret || !issued
        || issued.challenge !== challenge || issued.redirectUri !== form.get('redirect_uri')) {
        // GitHub answers errors with 200 and an error body.
        return json(200, { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' });
      }
      return json(200, { access_token: TOKEN, token_type: 'bearer', scope: 'read:org,read:user,user:email' });
    }
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return json(401, { message: 'Requires authentication' });
    assert.equal(req.headers.accept, 'application/vnd.github+json');
    assert.equal(req.headers['x-github-api-version'], '2022-11-28');
    if (url.pathname === state.failPath) return json(403, { message: 'Resource not accessible' });
    if (url.pathname === '/user') return json(200, { login: 'octocat', id: 583231, name: 'The Octocat', email: null, type: 'User' });
    if (url.pathname === '/user/emails') return json(200, state.emails);
    if (url.pathname === '/user/orgs') return json(200, [{ login: 'github', id: 1 }, { login: 'Octo-Org', id: 2 }]);
    if (url.pathname === '/user/teams') {
      const page = url.searchParams.get('page') ?? '1';
      assert.equal(url.searchParams.get('per_page'), '100');
      if (page === '1') {
        const next = new URL(url);
        next.searchParams.set('page', '2');
        return json(200, [{ slug: 'justice-league', name: 'Justice League', organization: { login: 'github' } }],
          { link: `<${next.href}>; rel="next", <${next.href}>; rel="last"` });
      }
      return json(200, [{ slug: 'platform', name: 'Platform', organization: { login: 'Octo-Org' } }]);
    }
    json(404, { message: 'Not Found' });
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  state.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.after(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }));
  return state;
}

async function setup(t: TestContext) {
  const github = await startFakeGithub(t);
  const provider = createGithubProvider(CLIENT, {
    publicUrl: PUBLIC_URL,
    endpoints: { authorization: `${github.base}/login/oauth/authorize`, token: `${github.base}/login/oauth/access_token`, api: github.base },
  });
  allowInsecureUpstream(provider);
  const signIn = async () => {
    const { url, pending } = await provider.beginSignIn();
    const callback = await followBrowserFlow(url, { jar: new CookieJar(), stopWhen: (next) => next.href.startsWith(provider.redirectUri) });
    return { url, pending, callback };
  };
  return { github, provider, signIn };
}

test('github: defaults are GitHub\'s own endpoints', () => {
  assert.deepEqual(GITHUB_ENDPOINTS, {
    authorization: 'https://github.com/login/oauth/authorize',
    token: 'https://github.com/login/oauth/access_token',
    api: 'https://api.github.com',
  });
});

test('github: sign-in reads the id, the verified primary email, orgs and teams (all pages)', async (t) => {
  const { github, provider, signIn } = await setup(t);
  const { url, pending, callback } = await signIn();
  assert.equal(url.searchParams.get('nonce'), null);
  assert.equal(pending.nonce, undefined);
  const user = await provider.completeSignIn(callback, pending);
  assert.deepEqual(user, {
    provider: 'github',
    subject: 'github:583231',
    email: 'octocat@github.example',
    emailVerified: true,
    name: 'The Octocat',
    username: 'octocat',
    githubOrgs: ['github', 'Octo-Org', 'github:justice-league', 'Octo-Org:platform'],
  });
  assert.equal(github.calls.filter((call) => call === 'GET /user/teams').length, 2);
});

test('github: an unverified primary email does not count as verified', async (t) => {
  const { github, provider, signIn } = await setup(t);
  github.emails = [
    { email: 'octocat@github.example', primary: true, verified: false, visibility: 'public' },
    { email: 'other@github.example', primary: false, verified: true, visibility: null },
  ];
  const { pending, callback } = await signIn();
  const user = await provider.completeSignIn(callback, pending);
  assert.equal(user.email, 'octocat@github.example');
  assert.equal(user.emailVerified, false);
});

test('github: the user denying access is access_denied', async (t) => {
  const { github, provider, signIn } = await setup(t);
  github.deny = true;
  const { pending, callback } = await signIn();
  await assert.rejects(provider.completeSignIn(callback, pending), { code: 'access_denied', status: 403 });
});

test('github: a code GitHub refuses (200 with an error body) is idp_error, without the code in the message', async (t) => {
  const { provider, signIn } = await setup(t);
  const { pending, callback } = await signIn();
  const forged = new URL(callback);
  forged.searchParams.set('code', 'forged-github-code');
  await assert.rejects(provider.completeSignIn(forged, pending), (error: UpstreamError) => {
    assert.equal(error.code, 'idp_error');
    assert.match(error.detail ?? '', /bad_verification_code/);
    assert.doesNotMatch(`${error.message} ${error.detail}`, /forged-github-code|github-secret/);
    return true;
  });
});

test('github: an API failure (403 on /user/orgs) is idp_error, without the token anywhere', async (t) => {
  const { github, provider, signIn } = await setup(t);
  github.failPath = '/user/orgs';
  const { pending, callback } = await signIn();
  await assert.rejects(provider.completeSignIn(callback, pending), (error: UpstreamError) => {
    assert.equal(error.code, 'idp_error');
    assert.match(error.detail ?? '', /\/user\/orgs.*403/);
    assert.doesNotMatch(`${error.message} ${error.detail}`, new RegExp(TOKEN));
    return true;
  });
});

// OAuth requests made by hand, for what the SDK client never does wrong on purpose.
import { createHash, randomBytes } from 'node:crypto';
import { CookieJar, followBrowserFlow } from './browser-flow.ts';

export const TEST_REDIRECT = 'http://127.0.0.1:9/oauth/callback';

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export async function registerClient(origin: string, metadata: Record<string, unknown> = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(`${origin}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'raw test client', redirect_uris: [TEST_REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none',
      ...metadata,
    }),
  });
  return { status: response.status, body: await response.json() };
}

export function authorizeUrl(origin: string, params: Record<string, string | undefined>): string {
  const url = new URL(`${origin}/authorize`);
  for (const [key, value] of Object.entries({ response_type: 'code', redirect_uri: TEST_REDIRECT, state: randomBytes(6).toString('hex'), ...params })) {
    if (value !== undefined) url.searchParams.set(key, value);
  }
  return url.href;
}

/** Walks the sign-in (password) and consent pages; returns the final redirect to the client. */
export async function approveWithPassword(url: string, credentials: { username: string; password: string }, jar = new CookieJar()): Promise<URL> {
  return followBrowserFlow(url, {
    jar,
    fillLogin: { login: credentials.username, password: credentials.password },
    fill: { decision: 'approve' },
    stopWhen: (next) => next.href.startsWith(TEST_REDIRECT),
  });
}

/** Where an authorization request ends without a user: the redirect to the client (an error), unfollowed. */
export async function firstRedirectToClient(url: string): Promise<URL> {
  let current = new URL(url);
  for (let hop = 0; hop < 5 && !current.href.startsWith(TEST_REDIRECT); hop++) {
    const response = await fetch(current, { redirect: 'manual' });
    await response.body?.cancel();
    const location = response.headers.get('location');
    if (!location) throw new Error(`${current} answered ${response.status} without a redirect`);
    current = new URL(location, current);
  }
  return current;
}

export async function tokenRequest(origin: string, params: Record<string, string | undefined>): Promise<{ status: number; body: any; headers: Headers }> {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) form.set(key, value);
  const response = await fetch(`${origin}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
  return { status: response.status, body: await response.json(), headers: response.headers };
}

/** Registration, PKCE, sign-in, consent and code exchange: a token response. */
export async function obtainTokens(origin: string, credentials: { username: string; password: string }, extra: Record<string, string> = {}): Promise<{ clientId: string; tokens: any }> {
  const client = await registerClient(origin);
  const { verifier, challenge } = pkcePair();
  const redirect = await approveWithPassword(authorizeUrl(origin, { client_id: client.body.client_id, code_challenge: challenge, code_challenge_method: 'S256', ...extra }), credentials);
  const code = redirect.searchParams.get('code');
  if (!code) throw new Error(`no code: ${redirect.href}`);
  const tokens = await tokenRequest(origin, { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client.body.client_id, redirect_uri: TEST_REDIRECT, ...extra });
  if (tokens.status !== 200) throw new Error(`token request answered ${tokens.status}: ${JSON.stringify(tokens.body)}`);
  return { clientId: client.body.client_id, tokens: tokens.body };
}

/** Opens the sign-in page of a fresh authorization request; returns its URL, HTML and the jar. */
export async function signInPage(origin: string) {
  const client = await registerClient(origin);
  const jar = new CookieJar();
  let html = '';
  let pageUrl: URL | undefined;
  await followBrowserFlow(authorizeUrl(origin, { client_id: client.body.client_id, code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }), {
    jar,
    stopWhen: (url) => url.href.startsWith(TEST_REDIRECT) || pageUrl !== undefined,
    pickForm: (forms, url, page) => {
      html = page;
      pageUrl = url;
      return forms[0];
    },
  });
  return { jar, html, pageUrl: pageUrl! };
}

/** The action of the page's first form. */
export function formAction(html: string, base: URL): URL {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error('no form');
  return new URL(action.replace(/&amp;/g, '&'), base);
}

/** Opens a sign-in page and posts `count` wrong passwords for `username`; the status and Retry-After of each answer. */
export async function wrongPasswords(origin: string, username: string, count: number): Promise<{ status: number; retryAfter: string | null }[]> {
  const { jar, html, pageUrl } = await signInPage(origin);
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(html)![1];
  const answers: { status: number; retryAfter: string | null }[] = [];
  for (let attempt = 0; attempt < count; attempt++) {
    const response = await fetch(formAction(html, pageUrl), {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header(pageUrl) ?? '' },
      body: new URLSearchParams({ username, password: `wrong ${attempt}`, csrf_token: csrf }).toString(),
    });
    answers.push({ status: response.status, retryAfter: response.headers.get('retry-after') });
    await response.body?.cancel();
  }
  return answers;
}

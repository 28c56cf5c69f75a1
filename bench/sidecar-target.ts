// The auth sidecar as a benchmark target: a throw-away fleet.json with one password
// user and one stdio server, and an access token got the way an MCP client gets one
// (registration, PKCE, password sign-in, consent, code exchange), on loopback or
// through Caddy at https://NAME.mcp.test:PORT.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword } from '@mcp-fleet/auth';
import { signInThrough } from '../test/caddy/through-caddy.ts';
import { TEST_REDIRECT, obtainTokens, pkcePair } from '../test/support/raw-oauth.ts';
import { HOST } from './local-port.ts';

export const SIDECAR_USER = 'bench';
export const SIDECAR_SERVER = 'everything';

export interface SidecarConfig {
  configPath: string;
  password: string;
}

/**
 * Writes `<dir>/fleet.json`: state in `<dir>/state`, one server listening on `port`.
 * `fleet`: further fleet settings, over the defaults here (e.g. domain, publicUrl, tls for Caddy);
 * `server`: further settings of the one server (e.g. isolation, warmSpares).
 */
export async function writeSidecarConfig(options: { dir: string; port: number; command: string; args: readonly string[]; cwd: string; logLevel?: string; fleet?: Record<string, unknown>; server?: Record<string, unknown> }): Promise<SidecarConfig> {
  mkdirSync(options.dir, { recursive: true });
  const password = randomBytes(12).toString('base64url');
  const config = {
    fleet: {
      stateDir: join(options.dir, 'state'),
      publicUrl: `http://${HOST}:{port}`,
      ...(options.logLevel ? { logLevel: options.logLevel } : {}),
      ...options.fleet,
      auth: { providers: { password: { users: { [SIDECAR_USER]: { passwordHash: await hashPassword(password) } } } } },
    },
    mcpServers: {
      [SIDECAR_SERVER]: { port: options.port, command: options.command, args: [...options.args], cwd: options.cwd, ...options.server },
    },
  };
  const configPath = join(options.dir, 'fleet.json');
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
  return { configPath, password };
}

function accessTokenOf(tokens: unknown): string {
  const accessToken = (tokens as { access_token?: unknown }).access_token;
  if (typeof accessToken !== 'string' || accessToken === '') throw new Error(`the token response has no access_token: ${JSON.stringify(tokens).slice(0, 200)}`);
  return accessToken;
}

/** An access token for the sidecar on `port`, with the time the whole OAuth flow took. */
export async function sidecarAccessToken(port: number, password: string): Promise<{ accessToken: string; flowMs: number }> {
  const start = performance.now();
  const { tokens } = await obtainTokens(`http://${HOST}:${port}`, { username: SIDECAR_USER, password });
  return { accessToken: accessTokenOf(tokens), flowMs: performance.now() - start };
}

/**
 * The same flow at the public `origin` (e.g. https://everything.mcp.test:PORT through Caddy),
 * every request through `fetchFn`: the sidecar's pages redirect to its public URLs, which
 * only a client that resolves and trusts them can follow.
 */
export async function sidecarAccessTokenAt(origin: string, password: string, fetchFn: typeof fetch): Promise<{ accessToken: string; flowMs: number }> {
  const start = performance.now();
  const json = async (response: Response, what: string) => {
    const text = await response.text();
    if (!response.ok) throw new Error(`${what} answered HTTP ${response.status}: ${text.slice(0, 200)}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  const client = await json(await fetchFn(`${origin}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'mcp-fleet bench', redirect_uris: [TEST_REDIRECT], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' }),
  }), 'registration');
  const clientId = String(client.client_id);
  const { verifier, challenge } = pkcePair();
  const authorize = new URL(`${origin}/authorize`);
  for (const [key, value] of Object.entries({ response_type: 'code', client_id: clientId, redirect_uri: TEST_REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', state: randomBytes(6).toString('hex') })) {
    authorize.searchParams.set(key, value);
  }
  const back = await signInThrough(fetchFn, authorize, { login: SIDECAR_USER, password, stopWhen: (url) => url.href.startsWith(TEST_REDIRECT) });
  const code = back.searchParams.get('code');
  if (!code) throw new Error(`no code in the redirect back: ${back.href}`);
  const tokens = await json(await fetchFn(`${origin}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, client_id: clientId, redirect_uri: TEST_REDIRECT }).toString(),
  }), 'the code exchange');
  return { accessToken: accessTokenOf(tokens), flowMs: performance.now() - start };
}

/**
 * A real OpenID Provider (oidc-provider) on a free loopback port, playing the
 * team's company IdP in tests: discovery, JWKS, PKCE, ID tokens, userinfo, and
 * login/consent pages of its own that a headless flow (browser-flow.ts) can fill.
 *
 * Its cookies are renamed (upstream_idp_*): cookies ignore ports, and the sidecar's
 * own oidc-provider on another 127.0.0.1 port uses the default names.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import type { ClientMetadata, KoaContextWithOIDC } from 'oidc-provider';

export { BrowserFlowError, CookieJar, followBrowserFlow, parseForms, parseLinks } from './browser-flow.ts';
export type { BrowserFlowOptions, PageLink, ParsedForm } from './browser-flow.ts';

export type IdpClient = {
  readonly client_id: string;
  readonly client_secret?: string;
  readonly redirect_uris: readonly string[];
  /** Other client metadata, e.g. token_endpoint_auth_method (default client_secret_basic). */
  readonly [metadata: string]: unknown;
};

export type IdpAccount = {
  readonly email?: string;
  readonly email_verified?: boolean;
  readonly name?: string;
  /** When set, the login form checks it; otherwise any password is accepted. */
  readonly password?: string;
  /** More claims released with the `openid` scope (e.g. `hd`, `upn`). */
  readonly claims?: Readonly<Record<string, unknown>>;
};

export type StartUpstreamIdpOptions = {
  readonly clients: readonly IdpClient[];
  /** Login name (also the `sub`) -> claims. Default: alice -> alice@example.com, verified. */
  readonly accounts?: Readonly<Record<string, IdpAccount>>;
  /**
   * Put the scope claims (email, name, ...) in the ID token too, as Google does.
   * Default false: oidc-provider's conform behaviour, where an ID token issued with
   * an access token carries only `sub` and the claims come from userinfo.
   */
  readonly claimsInIdToken?: boolean;
};

export type UpstreamIdp = {
  /** http://127.0.0.1:PORT, no trailing slash. */
  readonly issuer: string;
  readonly port: number;
  /** The oidc-provider instance, for tests that need more. */
  readonly provider: Provider;
  /** "METHOD /path" of every request served, in order. */
  readonly requests: readonly string[];
  close(): Promise<void>;
};

export const DEFAULT_IDP_ACCOUNTS: Readonly<Record<string, IdpAccount>> = {
  alice: { email: 'alice@example.com', email_verified: true, name: 'Alice Example' },
};

const STANDARD = new Set(['sub', 'email', 'email_verified', 'name']);

export async function startUpstreamIdp(options: StartUpstreamIdpOptions): Promise<UpstreamIdp> {
  const accounts = options.accounts ?? DEFAULT_IDP_ACCOUNTS;
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const extraClaims = [...new Set(Object.values(accounts).flatMap((account) => Object.keys(account.claims ?? {})))]
    .filter((claim) => !STANDARD.has(claim));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

  const provider = new Provider(issuer, {
    clients: options.clients.map((client) => ({
      grant_types: ['authorization_code'],
      response_types: ['code'],
      ...client,
      redirect_uris: [...client.redirect_uris],
    }) as ClientMetadata),
    async findAccount(_ctx: KoaContextWithOIDC, id: string) {
      if (!Object.hasOwn(accounts, id)) return undefined;
      const account = accounts[id];
      return {
        accountId: id,
        async claims() {
          return { ...account.claims, sub: id, email: account.email, email_verified: account.email_verified, name: account.name };
        },
      };
    },
    claims: { openid: ['sub', ...extraClaims], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid', 'email', 'profile', 'offline_access'],
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    cookies: {
      keys: [randomBytes(32).toString('base64url')],
      names: { session: 'upstream_idp_session', interaction: 'upstream_idp_interaction', resume: 'upstream_idp_resume' },
    },
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'upstream-idp', use: 'sig', alg: 'RS256' }] as never },
    pkce: { required: () => true },
    conformIdTokenClaims: options.claimsInIdToken !== true,
    adapter: MemoryAdapter,
    ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 3600, IdToken: 600, Interaction: 600, Session: 3600 },
  });
  const oidc = provider.callback();
  const interactions = new IdpInteractions(provider, accounts);

  const requests: string[] = [];
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const { pathname } = new URL(req.url ?? '/', issuer);
    requests.push(`${req.method} ${pathname}`);
    const match = /^\/interaction\/([\w-]+)(?:\/(login|confirm|abort))?$/.exec(pathname);
    if (!match) return void oidc(req, res);
    interactions.handle(req, res, match[2] ?? 'show').catch((error: unknown) => {
      if (!res.headersSent) page(res, 400, 'Error', `<p>${escape(error instanceof Error ? `${error.name}: ${error.message}` : String(error))}</p>`);
    });
  });

  return {
    issuer,
    port,
    provider,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

type Stored = { payload: Record<string, unknown>; expiresAt: number | undefined };

/**
 * oidc-provider's storage, in memory (its built-in one warns on every start and is
 * shared by every provider of the process). oidc-provider makes one per model of
 * one provider (`new MemoryAdapter('Session')`), so a Map per instance is enough.
 */
class MemoryAdapter {
  readonly #store = new Map<string, Stored>();

  async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> {
    this.#store.set(id, { payload: { ...payload }, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
  }

  async find(id: string): Promise<Record<string, unknown> | undefined> {
    const stored = this.#store.get(id);
    if (stored?.expiresAt !== undefined && stored.expiresAt <= Date.now()) this.#store.delete(id);
    return this.#store.get(id)?.payload;
  }

  async findByUid(uid: string): Promise<Record<string, unknown> | undefined> {
    for (const [id, stored] of this.#store) if (stored.payload.uid === uid) return this.find(id);
    return undefined;
  }

  async findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined> {
    for (const [id, stored] of this.#store) if (stored.payload.userCode === userCode) return this.find(id);
    return undefined;
  }

  async consume(id: string): Promise<void> {
    const stored = this.#store.get(id);
    if (stored) stored.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.#store.delete(id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const [id, stored] of this.#store) if (stored.payload.grantId === grantId) this.#store.delete(id);
  }
}

/** The IdP's own login and consent pages: plain forms, no JavaScript. */
class IdpInteractions {
  readonly #provider: Provider;
  readonly #accounts: Readonly<Record<string, IdpAccount>>;

  constructor(provider: Provider, accounts: Readonly<Record<string, IdpAccount>>) {
    this.#provider = provider;
    this.#accounts = accounts;
  }

  async handle(req: IncomingMessage, res: ServerResponse, action: string): Promise<void> {
    const details = await this.#provider.interactionDetails(req, res);
    const base = `/interaction/${details.uid}`;
    if (action === 'show' && req.method === 'GET') {
      if (details.prompt.name === 'login') return loginPage(res, 200, base);
      if (details.prompt.name === 'consent') return consentPage(res, base, String(details.params.client_id));
      return page(res, 501, 'Not implemented', `<p>prompt ${escape(details.prompt.name)}</p>`);
    }
    if (req.method !== 'POST') return page(res, 405, 'Method not allowed', '');
    const form = new URLSearchParams(await readBody(req));
    if (action === 'abort') {
      const result = { error: 'access_denied', error_description: 'End-User aborted interaction' };
      return this.#provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    }
    if (action === 'login') {
      const login = form.get('login') ?? '';
      const account = Object.hasOwn(this.#accounts, login) ? this.#accounts[login] : undefined;
      if (details.prompt.name !== 'login') return page(res, 400, 'Error', '<p>No login is pending.</p>');
      if (!account || (account.password !== undefined && account.password !== form.get('password'))) {
        return loginPage(res, 401, base, 'Unknown login or wrong password.');
      }
      return this.#provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
    }
    // confirm: grant what the client asked for, as oidc-provider's dev interactions do.
    if (details.prompt.name !== 'consent') return page(res, 400, 'Error', '<p>No consent is pending.</p>');
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details as {
      missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]>;
    };
    const grant = details.grantId
      ? (await this.#provider.Grant.find(details.grantId))!
      : new this.#provider.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    return this.#provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
}

function loginPage(res: ServerResponse, status: number, base: string, error?: string): void {
  page(res, status, 'Sign in to Example Corp', `${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="${base}/login">
<label for="login">Login</label> <input id="login" name="login" autocomplete="username" required>
<label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit">Sign in</button>
</form>
<form method="post" action="${base}/abort"><button type="submit">Cancel</button></form>`);
}

function consentPage(res: ServerResponse, base: string, clientId: string): void {
  page(res, 200, 'Allow access', `<p>${escape(clientId)} asks to know who you are.</p>
<form method="post" action="${base}/confirm"><button type="submit">Allow</button></form>
<form method="post" action="${base}/abort"><button type="submit">Deny</button></form>`);
}

function page(res: ServerResponse, status: number, title: string, body: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head><body><h1>${escape(title)}</h1>\n${body}\n</body></html>`);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

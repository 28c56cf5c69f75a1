import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import type { AdapterConstructor } from 'oidc-provider';
import type { AccountStore, ConsentMemory } from './account-store.ts';
import { INTERACTION_PATH } from './interaction-path.ts';
import { PASSWORD_FORM_FIELDS, SIGN_IN_PAGE_CSP, renderConsent, renderDeadEnd, renderSignInFailed } from './pages.ts';
import type { ResourceUrls } from './resource-urls.ts';
import type { SignInMethods, SignInPages, SignedInUser } from './sign-in-methods.ts';
import { recordSecurityEvent } from './security-events.ts';
import type { SecurityEventCounter } from './security-events.ts';
import { SignInAttempts } from './sign-in-attempts.ts';
import { toUpstreamError } from './upstream/idp-failure.ts';
import type { TrustedProxies } from './trusted-proxies.ts';

export interface InteractionOptions {
  /** The current provider (rebuilt when the signing keys rotate). */
  provider: () => Promise<Provider>;
  urls: ResourceUrls;
  serverName: string;
  methods: SignInMethods;
  pages: SignInPages;
  accounts: AccountStore;
  consents: ConsentMemory;
  proxies: TrustedProxies;
  /** Secret for CSRF tokens. */
  secret: string;
  /** The server's storage adapter, where upstream sign-ins in progress are kept. */
  adapter: AdapterConstructor;
  /** False while the storage is down: the pages say so (503) instead of failing halfway. */
  isAvailable?: () => boolean;
  /** Counts security events by kind; each also writes its line. */
  countSecurityEvent?: SecurityEventCounter;
}

const PAGE_HEADERS = {
  'content-security-policy': SIGN_IN_PAGE_CSP,
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
};

/**
 * The browser side of sign-in: oidc-provider sends the user to
 * /interaction/:uid; from there to an upstream IdP (or the password form),
 * back through /callback/:provider, then the consent page (C1–C3).
 */
export async function interactionRoutes(app: FastifyInstance, options: InteractionOptions): Promise<void> {
  const { urls, methods } = options;
  const { provider } = options;
  const attempts = new SignInAttempts<unknown>(options.adapter);
  const secureCookies = urls.origin.startsWith('https:');
  const bindingCookie = secureCookies ? '__Host-mcp-signin' : 'mcp-signin';
  const csrfFor = (purpose: string, uid: string) => createHmac('sha256', options.secret).update(`${purpose}\n${uid}`).digest('base64url');
  const csrfMatches = (purpose: string, uid: string, given: unknown) => {
    const expected = Buffer.from(csrfFor(purpose, uid));
    const actual = Buffer.from(typeof given === 'string' ? given : '');
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  };
  const html = (reply: FastifyReply, status: number, body: string) => reply.code(status).headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(body);
  const expired = (reply: FastifyReply) => html(reply, 400, renderDeadEnd({
    title: 'Sign-in expired', message: 'This sign-in has expired or was already used.', serverName: options.serverName,
  }));

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  app.addHook('onRequest', async (request) => options.proxies.stripUntrusted(request.raw));
  app.addHook('onRequest', async (_request, reply) => {
    if (options.isAvailable?.() ?? true) return;
    return html(reply.header('retry-after', '5'), 503, renderDeadEnd({
      title: 'Sign-in is unavailable', message: 'This server cannot reach its storage right now. Try again in a moment.', serverName: options.serverName,
    }));
  });

  /**
   * A sign-in that broke on the way to the IdP or at it (discovery, the token exchange,
   * userinfo, the user refusing there): one security event with where and why (the IdP's
   * own error code; never a secret), and a page with the status of the failure (502 when
   * the IdP failed) and a reference that finds that line.
   */
  function upstreamSignInFailed(request: FastifyRequest, reply: FastifyReply, provider: string, error: unknown, uid: string): FastifyReply {
    const failure = toUpstreamError(error, provider);
    recordSecurityEvent(request.log, options.countSecurityEvent, {
      event: 'sign_in_failure', ip: options.proxies.clientIp(request.raw), provider,
      reason: failure.step ? `${failure.code} at ${failure.step}` : failure.code, code: failure.code, step: failure.step, detail: failure.detail,
    });
    return html(reply, failure.status, renderSignInFailed({
      serverName: options.serverName,
      error: failure,
      signInAgainHref: `${INTERACTION_PATH}/${uid}`,
      reference: String(request.id),
    }));
  }

  /** Ends the login step of interaction `uid` as `user`, without the interaction cookie's path. */
  async function finishLogin(reply: FastifyReply, uid: string, user: SignedInUser): Promise<FastifyReply> {
    const interaction = await (await provider()).Interaction.find(uid);
    if (!interaction) return expired(reply);
    await options.accounts.save({ subject: user.subject, email: user.email, facts: user.facts });
    interaction.result = { login: { accountId: user.subject } };
    recordSecurityEvent(reply.log, options.countSecurityEvent, { event: 'sign_in_success', user: user.subject, ip: options.proxies.clientIp(reply.request.raw) });
    await interaction.save(Math.max(1, interaction.exp - Math.floor(Date.now() / 1000)));
    return reply.redirect(interaction.returnTo, 303);
  }

  async function finishConsent(request: FastifyRequest, reply: FastifyReply, details: Awaited<ReturnType<Provider['interactionDetails']>>): Promise<void> {
    const accountId = details.session?.accountId as string;
    const clientId = details.params.client_id as string;
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    const grant = details.grantId ? await (await provider()).Grant.find(details.grantId) : new ((await provider()).Grant)({ accountId, clientId });
    if (!grant) throw new Error('the grant of this interaction is gone');
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    recordSecurityEvent(request.log, options.countSecurityEvent, { event: 'consent', user: accountId, clientId, ip: options.proxies.clientIp(request.raw) });
    reply.hijack();
    await (await provider()).interactionFinished(request.raw, reply.raw, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  app.get(`${INTERACTION_PATH}/:uid`, async (request, reply) => {
    const details = await (await provider()).interactionDetails(request.raw, reply.raw).catch(() => undefined);
    if (!details) return expired(reply);
    const { uid } = details;
    if (details.prompt.name === 'login') {
      if (methods.upstream.size === 1 && !methods.password) {
        const [only] = methods.upstream.keys();
        return reply.redirect(`/login/${only}?uid=${encodeURIComponent(uid)}`, 303);
      }
      return html(reply, 200, options.pages.chooser({ uid, csrfToken: csrfFor('password', uid) }));
    }
    const accountId = details.session?.accountId as string;
    const client = await (await provider()).Client.find(details.params.client_id as string);
    if (!client) return expired(reply);
    if (await options.consents.approved(accountId, client.clientId, client.redirectUris ?? [])) {
      return finishConsent(request, reply, details);
    }
    const email = await options.accounts.findEmail(accountId);
    const redirect = new URL(details.params.redirect_uri as string);
    return html(reply, 200, renderConsent({
      serverName: options.serverName,
      clientName: client.clientName ?? client.clientId,
      clientId: client.clientId,
      redirectHost: redirect.host || redirect.protocol,
      scopes: String(details.params.scope ?? 'mcp').split(' ').filter(Boolean),
      account: email ?? accountId,
      action: `${INTERACTION_PATH}/${uid}/consent`,
      csrfToken: csrfFor('consent', uid),
    }));
  });

  app.post(`${INTERACTION_PATH}/:uid/consent`, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, string>;
    const details = await (await provider()).interactionDetails(request.raw, reply.raw).catch(() => undefined);
    if (!details || details.prompt.name !== 'consent') return expired(reply);
    if (!csrfMatches('consent', details.uid, body.csrf)) {
      return html(reply, 403, renderDeadEnd({ title: 'Consent refused', message: 'This form has expired or did not come from this server.', serverName: options.serverName }));
    }
    if (body.decision !== 'approve') {
      reply.hijack();
      await (await provider()).interactionFinished(request.raw, reply.raw, { error: 'access_denied', error_description: 'the user denied access' }, { mergeWithLastSubmission: false });
      return;
    }
    const client = await (await provider()).Client.find(details.params.client_id as string);
    if (client) await options.consents.remember(details.session?.accountId as string, client.clientId, client.redirectUris ?? []);
    return finishConsent(request, reply, details);
  });

  app.get('/login/:provider', async (request, reply) => {
    const { provider: id } = request.params as { provider: string };
    const uid = String((request.query as Record<string, unknown>).uid ?? '');
    const upstream = methods.upstream.get(id);
    if (!upstream || !(await (await provider()).Interaction.find(uid))) return expired(reply);
    let begun: Awaited<ReturnType<typeof upstream.beginSignIn>>;
    try {
      begun = await upstream.beginSignIn();
    } catch (error) {
      return upstreamSignInFailed(request, reply, id, error, uid);
    }
    const { url, state, pending } = begun;
    const binding = randomBytes(24).toString('base64url');
    await attempts.add(state, { uid, binding, pending });
    reply.header('set-cookie', `${bindingCookie}=${binding}; Path=/; HttpOnly; SameSite=Lax; Max-Age=600${secureCookies ? '; Secure' : ''}`);
    return reply.redirect(url.href, 303);
  });

  app.get('/callback/:provider', async (request, reply) => {
    const { provider: id } = request.params as { provider: string };
    const upstream = methods.upstream.get(id);
    const query = request.query as Record<string, string | undefined>;
    const attempt = upstream && query.state ? await attempts.take(query.state, readCookie(request, bindingCookie)) : undefined;
    if (!upstream || !attempt) return expired(reply);
    let user: SignedInUser & { allowed: boolean };
    try {
      user = await upstream.completeSignIn(new URL(request.url, urls.origin), attempt.pending);
    } catch (error) {
      return upstreamSignInFailed(request, reply, id, error, attempt.uid);
    }
    if (!user.allowed) {
      recordSecurityEvent(request.log, options.countSecurityEvent, {
        event: 'sign_in_failure', user: user.subject, ip: options.proxies.clientIp(request.raw), provider: id, reason: 'not on the allow-list',
      });
      return html(reply, 403, options.pages.refused({ account: user.display, signInAgainHref: `${INTERACTION_PATH}/${attempt.uid}` }));
    }
    return finishLogin(reply, attempt.uid, user);
  });

  app.post('/login/password', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, string>;
    const uid = body.uid ?? String((request.query as Record<string, unknown>).uid ?? '');
    if (!methods.password || !csrfMatches('password', uid, body[PASSWORD_FORM_FIELDS.csrf])) return expired(reply);
    const username = body[PASSWORD_FORM_FIELDS.username] ?? '';
    const ip = options.proxies.clientIp(request.raw);
    const result = await methods.password.verify(username, body[PASSWORD_FORM_FIELDS.password] ?? '', ip);
    if (result.outcome !== 'ok') {
      // The name typed, never the password: an operator sees who is being guessed at, and from where.
      // A slow-down (a name guessed at from many addresses) is no lockout: nobody is shut out for long.
      const event = result.outcome === 'throttled' && result.limit === 'lockout' ? 'lockout' : 'sign_in_failure';
      const reason = result.outcome === 'refused' ? 'wrong username or password'
        : result.limit === 'lockout' ? 'too many failures for this name from this address, or from this address'
          : 'slowed down: this name was tried from many addresses';
      recordSecurityEvent(request.log, options.countSecurityEvent, { event, user: username.slice(0, 100), ip, reason });
    }
    if (result.outcome === 'throttled') {
      reply.header('retry-after', String(result.retryAfterSeconds));
      return html(reply, 429, options.pages.chooser({ uid, csrfToken: csrfFor('password', uid), error: `Too many attempts. Try again in ${result.retryAfterSeconds} seconds.` }));
    }
    if (result.outcome === 'refused') return html(reply, 401, options.pages.chooser({ uid, csrfToken: csrfFor('password', uid), error: 'Wrong username or password.' }));
    return finishLogin(reply, uid, result.user);
  });
}

function readCookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

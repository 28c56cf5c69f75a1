import type { PendingSignIn, UpstreamProvider } from '../../src/upstream/index.ts';
import { CookieJar, followBrowserFlow } from '../../../../test/support/browser-flow.ts';
import type { BrowserFlowOptions } from '../../../../test/support/browser-flow.ts';

/** A made-up public URL: the flow stops at its callback, which is never fetched. */
export const PUBLIC_URL = 'http://127.0.0.1:8123';

/**
 * beginSignIn, then a headless browser through the IdP's pages up to our callback
 * URL (returned with `code`, `state`, `iss`), as a user would.
 */
export async function signInAtIdp(
  provider: UpstreamProvider,
  options: { login?: string; password?: string; jar?: CookieJar; pickForm?: BrowserFlowOptions['pickForm'] } = {},
): Promise<{ callback: URL; pending: PendingSignIn; authorizationUrl: URL }> {
  const { url, pending } = await provider.beginSignIn();
  const callback = await followBrowserFlow(url, {
    jar: options.jar ?? new CookieJar(),
    fillLogin: { login: options.login ?? 'alice', password: options.password ?? 'any password' },
    stopWhen: (next) => next.href.startsWith(provider.redirectUri),
    ...(options.pickForm ? { pickForm: options.pickForm } : {}),
  });
  return { callback, pending, authorizationUrl: url };
}

/** Picks the IdP's Cancel/Deny form: the user refuses at the IdP. */
export const pickAbortForm: BrowserFlowOptions['pickForm'] = (forms) => forms.find((form) => form.action.pathname.endsWith('/abort'));

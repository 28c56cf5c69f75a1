/**
 * A stand-in for the user's browser, for clients that open one themselves
 * (mcp-remote, through the `open` package and xdg-open, which runs `$BROWSER <url>`).
 *
 *   node scripted-browser.ts <report.jsonl> <authorization-url>
 *
 * It follows the authorization URL as a browser would (redirects, cookies, HTML
 * forms: the company IdP's login and consent, then the sidecar's consent page,
 * approving), stops at the client's `redirect_uri`, and then really requests that
 * URL, so the client's own loopback callback server receives the code. Every step
 * goes to <report.jsonl> (one JSON object a line) for the test to assert on.
 *
 * Login and password come from SCRIPTED_BROWSER_LOGIN / SCRIPTED_BROWSER_PASSWORD.
 * Not a test file: no `.test.` in its name, so `node --test` does not run it.
 */
import { appendFileSync } from 'node:fs';
import { BrowserFlowError, CookieJar, followBrowserFlow } from '../support/browser-flow.ts';

const [reportPath, authorizationUrl] = process.argv.slice(2);
const report = (entry: Record<string, unknown>) => appendFileSync(reportPath, `${JSON.stringify({ at: Date.now(), pid: process.pid, ...entry })}\n`);

// Never outlive a stuck flow: the test checks that no browser process is left behind.
setTimeout(() => {
  report({ event: 'timeout' });
  process.exit(3);
}, 30_000).unref();

async function main(): Promise<void> {
  const start = new URL(authorizationUrl);
  const redirectUri = start.searchParams.get('redirect_uri');
  report({ event: 'open', url: start.href, redirectUri, resource: start.searchParams.get('resource'), scope: start.searchParams.get('scope') });
  if (!redirectUri) throw new Error('the authorization URL has no redirect_uri');
  const seen: string[] = [];
  const final = await followBrowserFlow(start, {
    jar: new CookieJar(),
    fillLogin: { login: process.env.SCRIPTED_BROWSER_LOGIN ?? 'alice', password: process.env.SCRIPTED_BROWSER_PASSWORD ?? 'any' },
    fill: { decision: 'approve' },
    stopWhen: (url) => {
      seen.push(`${url.origin}${url.pathname}`);
      return url.href.startsWith(`${redirectUri}?`) || url.href === redirectUri;
    },
    maxHops: 40,
  });
  report({ event: 'redirected', url: final.href, hops: seen, code: final.searchParams.has('code'), error: final.searchParams.get('error') });
  // The last hop a real browser makes: the client's own callback server.
  const response = await fetch(final, { redirect: 'manual', signal: AbortSignal.timeout(20_000) });
  report({ event: 'callback', status: response.status, body: (await response.text()).slice(0, 500) });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    const details = error instanceof BrowserFlowError
      ? { message: error.message, status: error.status, url: error.url.href, trail: error.trail, body: error.body.slice(0, 1000) }
      : { message: error instanceof Error ? error.stack ?? error.message : String(error) };
    report({ event: 'error', ...details });
    process.exit(1);
  },
);

import { createHash } from 'node:crypto';
import type { RefusalReason } from './upstream/allow-policy.ts';

/** The names of the password form's fields, for the route that reads the POST. */
export const PASSWORD_FORM_FIELDS = { username: 'username', password: 'password', csrf: 'csrf_token' } as const;

const STYLE = `
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1f24;background:#f4f5f7}
main{max-width:26rem;margin:4rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.15)}
h1{font-size:1.4rem;margin:0 0 1rem}
ul{list-style:none;padding:0;margin:0}
li{margin:.5rem 0}
.button,button{display:block;box-sizing:border-box;width:100%;padding:.6rem 1rem;border:1px solid #1f4fa3;border-radius:6px;background:#2459b8;color:#fff;font:inherit;text-align:center;text-decoration:none;cursor:pointer}
.button:focus,button:focus,input:focus{outline:3px solid #f0b400;outline-offset:2px}
label{display:block;margin:.75rem 0 .25rem}
input{box-sizing:border-box;width:100%;padding:.5rem;border:1px solid #8a9099;border-radius:6px;font:inherit}
form button{margin-top:1rem}
button.secondary{background:#fff;color:#1f4fa3}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}dd{margin:0}
.alert{padding:.6rem .8rem;border-left:4px solid #b3261e;background:#fdecea}
.or{text-align:center;color:#555}
`;

/**
 * A Content-Security-Policy for these pages: no scripts at all, only their own
 * inline style (by hash). It sets no `form-action`: browsers apply it to the
 * redirects after a POST, which end at the MCP client's redirect URI.
 */
export const SIGN_IN_PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export type SignInChoice = { readonly id: string; readonly label: string; readonly href: string };

export type SignInChooserOptions = {
  readonly serverName: string;
  readonly providers: readonly SignInChoice[];
  /** Where the password form posts; no form without it. */
  readonly passwordAction?: string;
  readonly csrfToken: string;
  /** Shown above the choices (e.g. an UpstreamError's exposed message). */
  readonly error?: string;
  /** Refills the user name after a failed attempt. */
  readonly username?: string;
};

/** The sign-in page: one button per upstream provider, and the password form when configured. */
export function renderSignInChooser(options: SignInChooserOptions): string {
  const { serverName, providers, passwordAction, csrfToken, error, username } = options;
  const buttons = providers.map((provider) =>
    `<li><a class="button" href="${safeHref(provider.href)}" data-provider="${escapeHtml(provider.id)}">Sign in with ${escapeHtml(provider.label)}</a></li>`);
  const parts = [
    `<h1>Sign in to ${escapeHtml(serverName)}</h1>`,
    error ? `<p class="alert" role="alert">${escapeHtml(error)}</p>` : '',
    buttons.length ? `<ul>${buttons.join('')}</ul>` : '',
    buttons.length && passwordAction ? '<p class="or">or</p>' : '',
    passwordAction ? passwordForm(passwordAction, csrfToken, username) : '',
    !buttons.length && !passwordAction ? '<p>No way to sign in is configured for this server.</p>' : '',
  ];
  return renderPage(`Sign in to ${serverName}`, parts.join('\n'));
}

function passwordForm(action: string, csrfToken: string, username: string | undefined): string {
  const f = PASSWORD_FORM_FIELDS;
  return `<form method="post" action="${safeHref(action)}">
<input type="hidden" name="${f.csrf}" value="${escapeHtml(csrfToken)}">
<label for="${f.username}">User name</label>
<input id="${f.username}" name="${f.username}" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${escapeHtml(username ?? '')}">
<label for="${f.password}">Password</label>
<input id="${f.password}" name="${f.password}" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`;
}

export type RefusedOptions = {
  readonly serverName: string;
  /** The account that was refused, as the user knows it (email or login). */
  readonly account: string;
  readonly signInAgainHref: string;
  /** Only `unverified_email` changes the text; no reason ever shows the allow-list. */
  readonly reason?: RefusalReason;
};

/** The page for a signed-in account that this server does not allow. Answer it with 403. */
export function renderRefused({ serverName, account, signInAgainHref, reason }: RefusedOptions): string {
  const server = escapeHtml(serverName);
  const body = `<h1>This account cannot use ${server}</h1>
<p class="alert" role="alert">You signed in as <strong>${escapeHtml(account)}</strong>. That account is not allowed to use <strong>${server}</strong>.</p>
${reason === 'unverified_email' ? '<p>Its email address is not verified by the identity provider. Verify it there, then sign in again.</p>' : ''}
<p>To use another account, sign in again and choose it at the identity provider. If the provider signs you straight back in, sign out of it first.</p>
<p><a class="button" href="${safeHref(signInAgainHref)}">Sign in with another account</a></p>
<p>If this account should have access, ask whoever runs ${server}.</p>`;
  return renderPage(`Access refused: ${serverName}`, body);
}

export type SignInFailedOptions = {
  readonly serverName: string;
  /** An UpstreamError (or similar): its message is shown only when `expose` is true. */
  readonly error: { readonly message: string; readonly expose?: boolean };
  readonly signInAgainHref: string;
  /** The request id, which finds the cause in the sidecar's log. */
  readonly reference?: string;
};

/** The page for a sign-in that failed (state expired, IdP error, ...). */
export function renderSignInFailed({ serverName, error, signInAgainHref, reference }: SignInFailedOptions): string {
  const message = error.expose ? error.message : 'The sign-in failed because of an error on this server.';
  const tell = reference === undefined ? '' : `\n<p>If it keeps failing, tell the operator of ${escapeHtml(serverName)} this reference: <code>${escapeHtml(reference)}</code></p>`;
  const body = `<h1>Sign-in to ${escapeHtml(serverName)} failed</h1>
<p class="alert" role="alert">${escapeHtml(message)}</p>${tell}
<p><a class="button" href="${safeHref(signInAgainHref)}">Start again</a></p>`;
  return renderPage(`Sign-in failed: ${serverName}`, body);
}

/** The one layout of every page a sidecar shows (sign-in, consent, errors); serve with SIGN_IN_PAGE_CSP. */
export function renderPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

/** An href for these pages: a same-origin path or an http(s) URL, escaped. Anything else is a bug. */
function safeHref(href: string): string {
  const path = href.startsWith('/') && !href.startsWith('//') && !href.startsWith('/\\');
  if (!path && !/^https?:\/\//i.test(href)) throw new TypeError('a sign-in page link must be a path or an http(s) URL');
  return escapeHtml(href);
}

export type ConsentOptions = {
  readonly serverName: string;
  readonly clientName: string;
  readonly clientId: string;
  /** Where the client sends the user back: the host, or the scheme of a private-use URI. */
  readonly redirectHost: string;
  readonly scopes: readonly string[];
  /** The signed-in account, as the user knows it. */
  readonly account: string;
  readonly action: string;
  readonly csrfToken: string;
};

/** C1: names the client, where it will send the user back, and the server. */
export function renderConsent(options: ConsentOptions): string {
  const scopes = options.scopes.map((scope) => `<li><code>${escapeHtml(scope)}</code></li>`).join('');
  return renderPage(`Allow ${options.clientName}?`, `<h1>Allow <q>${escapeHtml(options.clientName)}</q> to use ${escapeHtml(options.serverName)}?</h1>
<p>You are signed in as <strong>${escapeHtml(options.account)}</strong>. The application will act as you on this MCP server.</p>
<dl>
<dt>Application</dt><dd>${escapeHtml(options.clientName)} <small>(${escapeHtml(options.clientId)})</small></dd>
<dt>Sends you back to</dt><dd><strong>${escapeHtml(options.redirectHost)}</strong></dd>
<dt>Server</dt><dd>${escapeHtml(options.serverName)}</dd>
<dt>Access</dt><dd><ul>${scopes}</ul></dd>
</dl>
<p>Only continue if you started this connection yourself and recognise where it sends you back.</p>
<form method="post" action="${safeHref(options.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(options.csrfToken)}">
<button type="submit" name="decision" value="approve">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>`);
}

/** A dead end the user can only leave by starting over from their MCP client. */
export function renderDeadEnd(options: { title: string; message: string; serverName?: string }): string {
  const where = options.serverName ? ` to <strong>${escapeHtml(options.serverName)}</strong>` : '';
  return renderPage(options.title, `<h1>${escapeHtml(options.title)}</h1>
<p class="alert" role="alert">${escapeHtml(options.message)}</p>
<p>Go back to your MCP client and connect${where} again.</p>`);
}

/** Text for HTML: every interpolated value goes through this. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}
button{font:inherit;padding:.5rem 1.25rem;margin-right:.5rem;border-radius:.375rem;border:1px solid #555;cursor:pointer}
.primary{background:#1d4ed8;color:#fff;border-color:#1d4ed8}`;

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

/** C1: names the client, where it will send the user back, and the server. */
export function renderConsent(options: {
  serverName: string;
  clientName: string;
  clientId: string;
  redirectHost: string;
  scopes: readonly string[];
  account: string;
  action: string;
  csrfToken: string;
}): string {
  const scopes = options.scopes.map((scope) => `<li><code>${escapeHtml(scope)}</code></li>`).join('');
  return page(`Allow ${options.clientName}?`, `
<h1>Allow <q>${escapeHtml(options.clientName)}</q> to use the MCP server <q>${escapeHtml(options.serverName)}</q>?</h1>
<p>You are signed in as <strong>${escapeHtml(options.account)}</strong>. The application will act as you on this server.</p>
<dl>
  <dt>Application</dt><dd>${escapeHtml(options.clientName)} <small>(${escapeHtml(options.clientId)})</small></dd>
  <dt>Sends you back to</dt><dd><strong>${escapeHtml(options.redirectHost)}</strong></dd>
  <dt>Server</dt><dd>${escapeHtml(options.serverName)}</dd>
  <dt>Access</dt><dd><ul>${scopes}</ul></dd>
</dl>
<p>Only continue if you started this connection yourself and recognise where it sends you back.</p>
<form method="post" action="${escapeHtml(options.action)}">
  <input type="hidden" name="csrf" value="${escapeHtml(options.csrfToken)}">
  <button type="submit" name="decision" value="approve" class="primary">Allow</button>
  <button type="submit" name="decision" value="deny">Deny</button>
</form>`);
}

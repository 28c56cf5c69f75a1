/**
 * A headless "browser" for sign-in flows: plain fetch with `redirect: 'manual'`, a
 * cookie jar, and HTML form submission. Enough for oidc-provider's pages, the fake
 * company IdP (upstream-idp.ts) and the sidecar's own sign-in page; no JavaScript.
 */

type StoredCookie = {
  name: string;
  value: string;
  /** Lowercase host or Domain attribute (without the leading dot). */
  domain: string;
  hostOnly: boolean;
  path: string;
  /** Epoch ms; undefined for a session cookie. */
  expires: number | undefined;
  secure: boolean;
};

/**
 * An RFC 6265 cookie jar, as a browser keeps one: cookies are per host, not per
 * port (two servers on 127.0.0.1 share cookies, as in a real browser), matched by
 * Domain and Path, dropped by Max-Age/Expires. Secure cookies go to https and to
 * loopback hosts (browsers treat http://127.0.0.1 as a secure context). SameSite
 * is not modelled: every loopback port is the same site anyway.
 */
export class CookieJar {
  #cookies: StoredCookie[] = [];

  /** Stores the Set-Cookie headers of a response to `url`. */
  capture(url: URL | string, response: Response): void {
    for (const header of response.headers.getSetCookie()) this.setCookie(header, url);
  }

  setCookie(header: string, url: URL | string): void {
    const requestUrl = new URL(url);
    const [pair, ...attributes] = header.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) return;
    const host = requestUrl.hostname.toLowerCase();
    const cookie: StoredCookie = {
      name: pair.slice(0, eq).trim(),
      value: pair.slice(eq + 1).trim(),
      domain: host,
      hostOnly: true,
      path: defaultPath(requestUrl.pathname),
      expires: undefined,
      secure: false,
    };
    let maxAge: number | undefined;
    for (const attribute of attributes) {
      const [rawKey, ...rest] = attribute.split('=');
      const key = rawKey.trim().toLowerCase();
      const value = rest.join('=').trim();
      if (key === 'domain' && value) {
        const domain = value.replace(/^\./, '').toLowerCase();
        if (!domainMatches(host, domain)) return; // a server may not set cookies for another domain
        cookie.domain = domain;
        cookie.hostOnly = false;
      } else if (key === 'path' && value.startsWith('/')) cookie.path = value;
      else if (key === 'max-age' && /^-?\d+$/.test(value)) maxAge = Number(value);
      else if (key === 'expires' && !Number.isNaN(Date.parse(value))) cookie.expires = Date.parse(value);
      else if (key === 'secure') cookie.secure = true;
    }
    if (maxAge !== undefined) cookie.expires = Date.now() + maxAge * 1000;
    this.#cookies = this.#cookies.filter((c) => !(c.name === cookie.name && c.domain === cookie.domain && c.path === cookie.path));
    if (cookie.expires === undefined || cookie.expires > Date.now()) this.#cookies.push(cookie);
  }

  /** The Cookie header for a request to `url`, or undefined when no cookie applies. */
  header(url: URL | string): string | undefined {
    const matching = this.#matching(new URL(url));
    return matching.length ? matching.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }

  /** The value of a cookie that would be sent to `url`. */
  get(name: string, url: URL | string): string | undefined {
    return this.#matching(new URL(url)).find((c) => c.name === name)?.value;
  }

  clear(): void {
    this.#cookies = [];
  }

  #matching(url: URL): StoredCookie[] {
    const now = Date.now();
    this.#cookies = this.#cookies.filter((c) => c.expires === undefined || c.expires > now);
    const host = url.hostname.toLowerCase();
    const secureContext = url.protocol === 'https:' || isLoopback(host);
    return this.#cookies
      .filter((c) => (c.hostOnly ? c.domain === host : domainMatches(host, c.domain)))
      .filter((c) => pathMatches(url.pathname, c.path) && (!c.secure || secureContext))
      .sort((a, b) => b.path.length - a.path.length);
  }
}

function defaultPath(pathname: string): string {
  const slash = pathname.lastIndexOf('/');
  return slash <= 0 ? '/' : pathname.slice(0, slash);
}

function domainMatches(host: string, domain: string): boolean {
  return host === domain || (host.endsWith(`.${domain}`) && !/^[\d.]+$/.test(host));
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export type ParsedForm = {
  readonly action: URL;
  readonly method: 'GET' | 'POST';
  /** The successful controls in document order: inputs (checked boxes only), textareas, the first named submit button. */
  readonly fields: Array<[string, string]>;
  /** Every <input>, for pickers: name, type (lowercase, default "text"), value. */
  readonly inputs: ReadonlyArray<{ name: string; type: string; value: string }>;
};

export type PageLink = { readonly href: URL; readonly text: string };

/** Every <form> of an HTML page, with actions resolved against the page URL. */
export function parseForms(html: string, pageUrl: URL): ParsedForm[] {
  const forms: ParsedForm[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attributes = parseAttributes(match[1]);
    const inner = match[2];
    const inputs: Array<{ name: string; type: string; value: string }> = [];
    const fields: Array<[string, string]> = [];
    let submitter = false;
    for (const control of inner.matchAll(/<(input|button|textarea)\b([^>]*)>(?:([\s\S]*?)<\/textarea>)?/gi)) {
      const tag = control[1].toLowerCase();
      const a = parseAttributes(control[2]);
      const name = a.name;
      const type = (a.type ?? (tag === 'button' ? 'submit' : 'text')).toLowerCase();
      if (tag === 'input') inputs.push({ name: name ?? '', type, value: a.value ?? '' });
      if (!name || 'disabled' in a) continue;
      if (tag === 'textarea') fields.push([name, decodeEntities(control[3] ?? '')]);
      else if (type === 'submit' || type === 'image') {
        if (!submitter) fields.push([name, a.value ?? '']);
        submitter = true;
      } else if (type === 'checkbox' || type === 'radio') {
        if ('checked' in a) fields.push([name, a.value ?? 'on']);
      } else if (type !== 'button' && type !== 'reset' && type !== 'file') fields.push([name, a.value ?? '']);
    }
    const method = (attributes.method ?? 'get').toUpperCase() === 'POST' ? 'POST' : 'GET';
    forms.push({ action: new URL(attributes.action ?? '', pageUrl), method, fields, inputs });
  }
  return forms;
}

/** Every <a href> of an HTML page, resolved against the page URL, with its text. */
export function parseLinks(html: string, pageUrl: URL): PageLink[] {
  return [...html.matchAll(/<a\b([^>]*)>([\s\S]*?)<\/a>/gi)].flatMap((match) => {
    const href = parseAttributes(match[1]).href;
    const text = decodeEntities(match[2].replace(/<[^>]*>/g, '')).trim();
    return href === undefined ? [] : [{ href: new URL(href, pageUrl), text }];
  });
}

function parseAttributes(source: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const match of source.matchAll(/([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
    attributes[match[1].toLowerCase()] = decodeEntities(match[2] ?? match[3] ?? match[4] ?? '');
  }
  return attributes;
}

function decodeEntities(text: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity[0] === '#') {
      const code = entity[1] === 'x' || entity[1] === 'X' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return named[entity.toLowerCase()] ?? whole;
  });
}

export type BrowserFlowOptions = {
  readonly jar: CookieJar;
  /** Typed into a form with a password field: `login` into the login/username/user/email field. */
  readonly fillLogin?: { readonly login: string; readonly password: string };
  /** Extra field values by name, set in whichever form is submitted. */
  readonly fill?: Readonly<Record<string, string>>;
  /** Checked before each request: when true, that URL is returned instead of fetched. */
  readonly stopWhen: (url: URL) => boolean;
  /** Which form of a page to submit. Default: a form with a password field when fillLogin is set, else the first form. */
  readonly pickForm?: (forms: ParsedForm[], page: URL, html: string) => ParsedForm | undefined;
  /** Consulted before forms: a link of the page to follow (e.g. a "Sign in with ..." button). */
  readonly pickLink?: (links: PageLink[], page: URL, html: string) => PageLink | undefined;
  /** Requests at most. Default 30. */
  readonly maxHops?: number;
};

/** A flow that ended somewhere else than `stopWhen` expected; `trail` lists every hop. */
export class BrowserFlowError extends Error {
  readonly url: URL;
  readonly status: number;
  readonly body: string;
  readonly trail: readonly string[];

  constructor(message: string, details: { url: URL; status: number; body: string; trail: string[] }) {
    super(`${message}\n  at ${details.url} (HTTP ${details.status})\n  trail:\n    ${details.trail.join('\n    ')}\n  body: ${details.body.slice(0, 500)}`);
    this.name = 'BrowserFlowError';
    this.url = details.url;
    this.status = details.status;
    this.body = details.body;
    this.trail = details.trail;
  }
}

/**
 * Follows a browser flow from `startUrl`: redirects by hand (cookies captured at
 * every hop), HTML pages by submitting a form (or following a picked link), until
 * `stopWhen(url)` is true for the next URL, which is returned without being fetched
 * (e.g. the relying party's callback URL with `code` and `state`). Throws a
 * BrowserFlowError on an error status, a page with nothing to submit, or too many hops.
 */
export async function followBrowserFlow(startUrl: URL | string, options: BrowserFlowOptions): Promise<URL> {
  const { jar, stopWhen, maxHops = 30 } = options;
  let request: { url: URL; method: 'GET' | 'POST'; body?: URLSearchParams } = { url: new URL(startUrl), method: 'GET' };
  const trail: string[] = [];
  for (let hop = 0; hop < maxHops; hop += 1) {
    if (stopWhen(request.url)) return request.url;
    const headers = new Headers({ accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8' });
    const cookie = jar.header(request.url);
    if (cookie) headers.set('cookie', cookie);
    if (request.body) headers.set('content-type', 'application/x-www-form-urlencoded');
    const response = await fetch(request.url, { method: request.method, headers, body: request.body, redirect: 'manual' });
    jar.capture(request.url, response);
    trail.push(`${request.method} ${request.url} -> ${response.status}`);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      const keep = response.status === 307 || response.status === 308;
      request = { url: new URL(location, request.url), method: keep ? request.method : 'GET', ...(keep && request.body ? { body: request.body } : {}) };
      continue;
    }
    const body = await response.text();
    const fail = (message: string) => new BrowserFlowError(message, { url: request.url, status: response.status, body, trail });
    if (!response.ok) throw fail('the flow reached an error response');
    if (!/html/i.test(response.headers.get('content-type') ?? '')) throw fail('the flow reached a page that is not HTML');
    request = nextRequest(body, request.url, options) ?? (() => { throw fail('the page has no form or link to go on with'); })();
  }
  throw new BrowserFlowError(`more than ${maxHops} hops`, { url: request.url, status: 0, body: '', trail });
}

function nextRequest(html: string, page: URL, options: BrowserFlowOptions): { url: URL; method: 'GET' | 'POST'; body?: URLSearchParams } | undefined {
  const link = options.pickLink?.(parseLinks(html, page), page, html);
  if (link) return { url: link.href, method: 'GET' };
  const forms = parseForms(html, page);
  const hasPassword = (form: ParsedForm) => form.inputs.some((input) => input.type === 'password');
  const form = options.pickForm
    ? options.pickForm(forms, page, html)
    : (options.fillLogin ? forms.find(hasPassword) : undefined) ?? forms[0];
  if (!form) return undefined;
  const values = new Map<string, string>();
  const fields = form.fields.map(([name, value]) => [name, value] as [string, string]);
  if (options.fillLogin && hasPassword(form)) {
    const loginInput = form.inputs.find((input) => ['login', 'username', 'user', 'email'].includes(input.name) && input.type !== 'hidden');
    const passwordInput = form.inputs.find((input) => input.type === 'password');
    if (loginInput) values.set(loginInput.name, options.fillLogin.login);
    if (passwordInput) values.set(passwordInput.name, options.fillLogin.password);
  }
  for (const [name, value] of Object.entries(options.fill ?? {})) values.set(name, value);
  for (const [name, value] of values) {
    const field = fields.find(([fieldName]) => fieldName === name);
    if (field) field[1] = value;
    else fields.push([name, value]);
  }
  const params = new URLSearchParams(fields);
  if (form.method === 'POST') return { url: form.action, method: 'POST', body: params };
  const url = new URL(form.action);
  url.search = params.toString();
  return { url, method: 'GET' };
}

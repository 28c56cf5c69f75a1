// A browser without a browser: follows redirects by hand with a cookie jar and
// submits plain HTML forms, for driving sign-in and consent pages in tests.

export interface WalkedPage {
  url: string;
  status: number;
  html: string;
  headers: Headers;
}

/** Follows redirects by hand, keeping cookies, until `done(url)`; returns the pages it saw. */
export class PageWalker {
  readonly cookies = new Map<string, string>();
  readonly pages: Array<{ url: string; status: number; html: string; headers: Headers }> = [];

  async open(url: string, init: RequestInit = {}, done: (url: string) => boolean = () => false): Promise<WalkedPage> {
    let current = url;
    let request = init;
    for (let hop = 0; hop < 20; hop++) {
      if (done(current)) return { url: current, status: 0, html: '', headers: new Headers() };
      const response = await fetch(current, { ...request, redirect: 'manual', headers: { ...(request.headers as Record<string, string> ?? {}), cookie: this.#cookieHeader() } });
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const [name, ...value] = pair.split('=');
        this.cookies.set(name.trim(), value.join('='));
      }
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        current = new URL(location, current).href;
        request = {};
        continue;
      }
      const page = { url: current, status: response.status, html: await response.text(), headers: response.headers };
      this.pages.push(page);
      return page;
    }
    throw new Error('too many redirects');
  }

  /** Submits the page's first form, with its hidden fields plus `fields`. */
  async submit(page: { url: string; html: string }, fields: Record<string, string>, done: (url: string) => boolean = () => false) {
    const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(page.html);
    if (!form) throw new Error(`no form on ${page.url}`);
    const values = new URLSearchParams();
    for (const input of form[2].matchAll(/<input[^>]*type="hidden"[^>]*>/gi)) {
      const name = /name="([^"]*)"/.exec(input[0])?.[1];
      const value = /value="([^"]*)"/.exec(input[0])?.[1];
      if (name) values.set(name, (value ?? '').replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code))).replace(/&amp;/g, '&'));
    }
    for (const [name, value] of Object.entries(fields)) values.set(name, value);
    const action = new URL(form[1].replace(/&amp;/g, '&').replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code))), page.url).href;
    return this.open(action, { method: 'POST', body: values.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } }, done);
  }

  #cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}


import type { Configuration } from 'openid-client';
import { upstreamErrors } from './errors.ts';
import { openidClient } from './openid-client-module.ts';

/** At most this many pages of 100 per list (orgs, teams): 1,000 entries. */
const MAX_PAGES = 10;

export type GithubApi = {
  readonly config: Configuration;
  readonly accessToken: string;
  /** e.g. https://api.github.com (no trailing slash). */
  readonly baseUrl: string;
  readonly provider: string;
};

/** GET one JSON document of the GitHub REST API with the user's token. */
export async function getGithubJson(api: GithubApi, path: string): Promise<unknown> {
  return (await request(api, new URL(`${api.baseUrl}${path}`))).body;
}

/** GET every page of a GitHub list (`per_page=100`, following `Link: rel="next"` on the API origin only). */
export async function getGithubList(api: GithubApi, path: string): Promise<unknown[]> {
  const items: unknown[] = [];
  let url: URL | undefined = new URL(`${api.baseUrl}${path}`);
  url.searchParams.set('per_page', '100');
  for (let page = 0; url !== undefined && page < MAX_PAGES; page += 1) {
    const { body, next }: { body: unknown; next: URL | undefined } = await request(api, url);
    if (!Array.isArray(body)) throw upstreamErrors.idp_error({ provider: api.provider, detail: `GET ${url.pathname} did not answer a list` });
    items.push(...body);
    url = next;
  }
  return items;
}

async function request(api: GithubApi, url: URL): Promise<{ body: unknown; next: URL | undefined }> {
  const headers = new Headers({
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
  });
  const client = await openidClient();
  const response = await client.fetchProtectedResource(api.config, api.accessToken, url, 'GET', undefined, headers);
  if (!response.ok) {
    await response.body?.cancel();
    throw upstreamErrors.idp_error({ provider: api.provider, detail: `GET ${url.pathname} answered HTTP ${response.status}` });
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw upstreamErrors.idp_error({ provider: api.provider, detail: `GET ${url.pathname} answered no JSON` });
  }
  return { body, next: nextPage(response.headers.get('link'), api.baseUrl) };
}

/** The rel="next" URL of a Link header, if it stays on the API's origin (the token goes with it). */
export function nextPage(link: string | null, baseUrl: string): URL | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const match = /^\s*<([^>]+)>\s*;(.*)$/.exec(part);
    if (!match || !/\brel="?next"?/.test(match[2])) continue;
    const url = URL.parse(match[1]);
    return url && url.origin === new URL(baseUrl).origin ? url : undefined;
  }
  return undefined;
}

import type { GithubProviderConfig } from '@mcp-fleet/config';
import { upstreamErrors } from './errors.ts';
import { getGithubJson, getGithubList } from './github-api.ts';
import type { GithubApi } from './github-api.ts';
import { openidClient } from './openid-client-module.ts';
import { applyIdpFetchPolicy } from './openid-discovery.ts';
import { OAuthUpstreamProvider } from './upstream-provider.ts';
import type { UpstreamProvider, UpstreamProviderOptions, UpstreamUser } from './upstream-provider.ts';

export const GITHUB_ENDPOINTS = {
  authorization: 'https://github.com/login/oauth/authorize',
  token: 'https://github.com/login/oauth/access_token',
  api: 'https://api.github.com',
} as const;

export type GithubProviderOptions = UpstreamProviderOptions & {
  /** Only for tests (a local stand-in for GitHub); GitHub's own endpoints are the default. */
  readonly endpoints?: { readonly authorization?: string; readonly token?: string; readonly api?: string };
};

/**
 * GitHub as an OAuth 2.0 provider: no discovery, no `openid`, no ID token. The
 * user is read from the REST API: `GET /user` (the numeric id is the stable
 * subject; logins can be renamed), `GET /user/emails` (only the primary email, and
 * it counts only when GitHub marks it verified), `GET /user/orgs` and
 * `GET /user/teams` (read:org) for `githubOrgs` as "org" and "org:team-slug".
 */
export function createGithubProvider(config: GithubProviderConfig, options: GithubProviderOptions): UpstreamProvider {
  const label = 'GitHub';
  const endpoints = { ...GITHUB_ENDPOINTS, ...options.endpoints };
  const baseUrl = endpoints.api.replace(/\/+$/, '');
  return new OAuthUpstreamProvider({
    id: 'github',
    label,
    scope: 'read:user user:email read:org',
    openId: false,
    authorizationParams: ({ chooseAccount, loginHint }) => ({
      ...(chooseAccount ? { prompt: 'select_account' } : {}),
      ...(loginHint ? { login: loginHint } : {}),
    }),
    async configure(execute) {
      const server = { issuer: 'https://github.com', authorization_endpoint: endpoints.authorization, token_endpoint: endpoints.token };
      // GitHub documents client_id and client_secret as form parameters: client_secret_post.
      const client = await openidClient();
      const configuration = new client.Configuration(server, config.clientId, config.clientSecret, client.ClientSecretPost(config.clientSecret));
      for (const apply of execute) apply(configuration);
      applyIdpFetchPolicy(client, configuration);
      return configuration;
    },
    readUser: (configuration, tokens) => readGithubUser({ config: configuration, accessToken: tokens.access_token, baseUrl, provider: label }),
  }, options);
}

type GithubEmail = { email?: unknown; primary?: unknown; verified?: unknown };
type GithubTeam = { slug?: unknown; organization?: { login?: unknown } };

async function readGithubUser(api: GithubApi): Promise<UpstreamUser> {
  const [user, emails, orgs, teams] = await Promise.all([
    getGithubJson(api, '/user') as Promise<{ id?: unknown; login?: unknown; name?: unknown }>,
    getGithubList(api, '/user/emails') as Promise<GithubEmail[]>,
    getGithubList(api, '/user/orgs') as Promise<Array<{ login?: unknown }>>,
    getGithubList(api, '/user/teams') as Promise<GithubTeam[]>,
  ]);
  if (typeof user?.id !== 'number' && typeof user?.id !== 'string') {
    throw upstreamErrors.idp_error({ provider: api.provider, detail: 'GET /user answered no id' });
  }
  const primary = emails.find((entry) => entry?.primary === true && typeof entry.email === 'string');
  const githubOrgs = [
    ...orgs.map((org) => org?.login).filter((login) => typeof login === 'string'),
    ...teams.flatMap((team) => {
      const org = team?.organization?.login;
      return typeof org === 'string' && typeof team.slug === 'string' ? [`${org}:${team.slug}`] : [];
    }),
  ];
  const login = typeof user.login === 'string' ? user.login : undefined;
  const name = typeof user.name === 'string' && user.name !== '' ? user.name : login;
  return {
    provider: 'github',
    subject: `github:${user.id}`,
    ...(primary ? { email: primary.email as string } : {}),
    emailVerified: primary?.verified === true,
    ...(name ? { name } : {}),
    ...(login ? { username: login } : {}),
    githubOrgs: [...new Set(githubOrgs)],
  };
}

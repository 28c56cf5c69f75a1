import type { FleetConfig } from '@mcp-fleet/config';
import { callbackUrl } from '@mcp-fleet/auth';

export interface ProviderRedirects {
  provider: 'google' | 'github' | 'oidc';
  uris: string[];
  warning?: string;
}

/** Per configured upstream provider, the callback URLs to register there (derived from config alone). */
export function redirectUris(config: FleetConfig): ProviderRedirects[] {
  const servers = config.servers.filter((server) => !server.disabled);
  const providers = (['google', 'github', 'oidc'] as const).filter((id) => config.auth.providers[id]);
  return providers.map((provider) => {
    const uris = servers.map((server) => callbackUrl(server.publicUrl, provider));
    const hosts = new Set(uris.map((uri) => new URL(uri).host));
    const warning = provider === 'github' && hosts.size > 1
      ? `a GitHub OAuth app accepts one callback URL (one host), and these are on ${hosts.size} hosts: use a GitHub App, which accepts up to 10 callback URLs, and register all of them`
      : undefined;
    return warning ? { provider, uris, warning } : { provider, uris };
  });
}

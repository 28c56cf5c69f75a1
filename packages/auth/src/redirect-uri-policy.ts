import { errors } from 'oidc-provider';
import { refuseRedirectUri } from './redirect-uri-refusal.ts';

/**
 * oidc-provider's hook for extra client metadata runs on every registration,
 * with the whole metadata: it is where the policy is enforced. Every dynamic
 * client is made `native` so loopback redirects match on any port (VS Code,
 * Gemini CLI and mcp-remote pick a new port per sign-in).
 */
export const redirectUriPolicy = {
  properties: ['mcp_fleet_policy'],
  validator(_ctx: unknown, key: string, _value: unknown, metadata: Record<string, unknown>): void {
    if (key !== 'mcp_fleet_policy') return;
    const uris = Array.isArray(metadata.redirect_uris) ? metadata.redirect_uris as string[] : [];
    for (const uri of uris) {
      const reason = refuseRedirectUri(uri);
      // A description starting with redirect_uris makes it an invalid_redirect_uri error.
      if (reason) throw new errors.InvalidClientMetadata(`redirect_uris: ${reason}`);
    }
    metadata.application_type = 'native';
    delete metadata.mcp_fleet_policy;
  },
};

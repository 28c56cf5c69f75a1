// The most common end-to-end fixture: a real upstream IdP (oidc-provider) and a
// sidecar that signs people in there, on free loopback ports.
import { servers } from './bridge-server.ts';
import { freePort } from './free-port.ts';
import { startSidecar } from './sidecar-server.ts';
import type { RunningSidecar } from './sidecar-server.ts';
import { startUpstreamIdp } from './upstream-idp.ts';
import type { IdpAccount, UpstreamIdp } from './upstream-idp.ts';

export const IDP_CLIENT = { clientId: 'mcp-fleet-everything', clientSecret: 'upstream-client-secret-0123456789' };

export interface SidecarWithIdp {
  idp: UpstreamIdp;
  sidecar: RunningSidecar;
  close(): Promise<void>;
}

/**
 * Starts the IdP (accounts: alice@example.com by default), then the sidecar of
 * server `everything` (server-everything unless `server` says otherwise),
 * allowing `allowEmails` (default alice@example.com).
 */
export async function startSidecarWithIdp(options: {
  accounts?: Record<string, IdpAccount>;
  allowEmails?: string[];
  server?: Record<string, unknown>;
} = {}): Promise<SidecarWithIdp> {
  const port = await freePort();
  const idp = await startUpstreamIdp({
    clients: [{ client_id: IDP_CLIENT.clientId, client_secret: IDP_CLIENT.clientSecret, redirect_uris: [`http://127.0.0.1:${port}/callback/oidc`] }],
    accounts: options.accounts ?? { alice: { email: 'alice@example.com', email_verified: true, name: 'Alice' } },
  });
  const sidecar = await startSidecar({
    fleet: {
      auth: {
        providers: { oidc: { issuer: idp.issuer, allowInsecureIssuer: true, clientId: IDP_CLIENT.clientId, clientSecret: IDP_CLIENT.clientSecret } },
        allow: { emails: options.allowEmails ?? ['alice@example.com'] },
      },
    },
    mcpServers: { everything: options.server ?? { command: process.execPath, args: [servers.everything, 'stdio'] } },
  }, 'everything', { port });
  return {
    idp,
    sidecar,
    async close() {
      await sidecar.close();
      await idp.close();
    },
  };
}

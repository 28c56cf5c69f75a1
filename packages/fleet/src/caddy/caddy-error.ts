import { FleetError } from '../errors.ts';

/** Codes of the Caddy part of the fleet; the key equals the code. */
export const CaddyErrorCode = {
  /** `mcp-fleet caddyfile` needs `fleet.domain`: servers are routed as NAME.DOMAIN. */
  FLEET_ERR_CADDY_NO_DOMAIN: 'FLEET_ERR_CADDY_NO_DOMAIN',
  /** `tls.mode` is "dns" without a usable `tls.dnsProvider` (a Caddy DNS module name). */
  FLEET_ERR_CADDY_DNS_PROVIDER: 'FLEET_ERR_CADDY_DNS_PROVIDER',
  /** A renderCaddyfile / startAskServer option is out of range (a port, the ask URL). */
  FLEET_ERR_CADDY_BAD_OPTION: 'FLEET_ERR_CADDY_BAD_OPTION',
} as const;

export type CaddyErrorCode = keyof typeof CaddyErrorCode;

/**
 * A coded error of the Caddyfile generator and the ask endpoint. It is a FleetError
 * (exit status 1: a config or argument problem), so the CLI prints it like the others.
 */
export class CaddyError extends FleetError {
  declare readonly code: CaddyErrorCode;

  constructor(code: CaddyErrorCode, message: string) {
    super(code, message, 1);
    this.name = 'CaddyError';
  }
}

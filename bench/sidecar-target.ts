// The auth sidecar as a benchmark target: a throw-away fleet.json with one password
// user and one stdio server, and an access token got the way an MCP client gets one
// (registration, PKCE, password sign-in, consent, code exchange).
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword } from '@mcp-fleet/auth';
import { obtainTokens } from '../test/support/raw-oauth.ts';
import { HOST } from './local-port.ts';

export const SIDECAR_USER = 'bench';
export const SIDECAR_SERVER = 'everything';

export interface SidecarConfig {
  configPath: string;
  password: string;
}

/** Writes `<dir>/fleet.json`: state in `<dir>/state`, one server listening on `port`. */
export async function writeSidecarConfig(options: { dir: string; port: number; command: string; args: readonly string[]; cwd: string; logLevel?: string }): Promise<SidecarConfig> {
  mkdirSync(options.dir, { recursive: true });
  const password = randomBytes(12).toString('base64url');
  const config = {
    fleet: {
      stateDir: join(options.dir, 'state'),
      publicUrl: `http://${HOST}:{port}`,
      ...(options.logLevel ? { logLevel: options.logLevel } : {}),
      auth: { providers: { password: { users: { [SIDECAR_USER]: { passwordHash: await hashPassword(password) } } } } },
    },
    mcpServers: {
      [SIDECAR_SERVER]: { port: options.port, command: options.command, args: [...options.args], cwd: options.cwd },
    },
  };
  const configPath = join(options.dir, 'fleet.json');
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
  return { configPath, password };
}

/** An access token for the sidecar on `port`, with the time the whole OAuth flow took. */
export async function sidecarAccessToken(port: number, password: string): Promise<{ accessToken: string; flowMs: number }> {
  const start = performance.now();
  const { tokens } = await obtainTokens(`http://${HOST}:${port}`, { username: SIDECAR_USER, password });
  const accessToken = (tokens as { access_token?: unknown }).access_token;
  if (typeof accessToken !== 'string' || accessToken === '') throw new Error(`the token response has no access_token: ${JSON.stringify(tokens).slice(0, 200)}`);
  return { accessToken, flowMs: performance.now() - start };
}

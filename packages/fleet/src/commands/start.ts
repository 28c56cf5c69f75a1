import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { hashPassword } from '@mcp-fleet/auth';
import type { FleetConfig } from '@mcp-fleet/config';
import { requireFleetConfig } from '../fleet-config.ts';

/** The user `npm start` signs in as, with the password provider. */
export const START_USER = 'admin';

export interface PreparedStart {
  config: FleetConfig;
  /** Set only on the run that created it (or when MCP_FLEET_PASSWORD was given): shown once. */
  password?: string;
  passwordFile: string;
}

/**
 * `npm start`: the example fleet with a local admin user. The password is
 * generated on first run (or taken from MCP_FLEET_PASSWORD); only its hash is
 * kept, in the state folder, and the fleet runs from a config derived there.
 */
export async function prepareStart(exampleFile: string, environment: NodeJS.ProcessEnv = process.env): Promise<PreparedStart> {
  const example = requireFleetConfig(exampleFile);
  mkdirSync(example.stateDir, { recursive: true, mode: 0o700 });
  const passwordFile = join(example.stateDir, `${START_USER}-password.hash`);
  let password: string | undefined;
  if (environment.MCP_FLEET_PASSWORD) {
    password = environment.MCP_FLEET_PASSWORD;
  } else if (!existsSync(passwordFile)) {
    password = randomBytes(15).toString('base64url');
  }
  if (password !== undefined) {
    writeFileSync(passwordFile, `${await hashPassword(password)}\n`, { mode: 0o600 });
    chmodSync(passwordFile, 0o600);
  }
  const passwordHash = readFileSync(passwordFile, 'utf8').trim();

  const raw = JSON.parse(readFileSync(exampleFile, 'utf8'));
  const exampleDir = dirname(resolve(exampleFile));
  raw.fleet = { ...raw.fleet, stateDir: example.stateDir };
  raw.fleet.auth = { ...raw.fleet.auth, providers: { ...raw.fleet.auth?.providers } };
  const users = raw.fleet.auth.providers.password?.users ?? {};
  raw.fleet.auth.providers.password = { ...raw.fleet.auth.providers.password, users: { ...users, [START_USER]: { passwordHash } } };
  for (const server of Object.values(raw.mcpServers) as Array<Record<string, unknown>>) {
    // Paths in the example are relative to its folder, not to the derived config's.
    if (server.command !== undefined) server.cwd = resolve(exampleDir, String(server.cwd ?? '.'));
  }
  mkdirSync(join(example.stateDir, 'files-sandbox'), { recursive: true });
  const derivedFile = join(example.stateDir, 'fleet.start.json');
  writeFileSync(derivedFile, `${JSON.stringify(raw, null, 2)}\n`, { mode: 0o600 });
  return { config: requireFleetConfig(derivedFile), password, passwordFile };
}

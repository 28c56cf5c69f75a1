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
  /** Keeps the new password's hash for the next starts: call it once the fleet has started. */
  keepPassword(): void;
}

/**
 * `npm start`: the example fleet with a local admin user. The password is
 * generated on first run (or taken from MCP_FLEET_PASSWORD) and goes into the
 * derived config this run uses; its hash is kept in the state folder only once
 * the fleet has started (`keepPassword`), so a first start that fails (a port in
 * use) keeps no hash of a password it never showed: the next start makes and
 * shows a new one, instead of asking for "the password shown on first start".
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
  const passwordHash = password !== undefined ? await hashPassword(password) : readFileSync(passwordFile, 'utf8').trim();
  const keepPassword = () => {
    if (password === undefined) return;
    writeFileSync(passwordFile, `${passwordHash}\n`, { mode: 0o600 });
    chmodSync(passwordFile, 0o600);
  };

  const raw = JSON.parse(readFileSync(exampleFile, 'utf8'));
  const exampleDir = dirname(resolve(exampleFile));
  raw.fleet = { ...raw.fleet, stateDir: example.stateDir };
  raw.fleet.auth = { ...raw.fleet.auth, providers: { ...raw.fleet.auth?.providers } };
  const users = raw.fleet.auth.providers.password?.users ?? {};
  raw.fleet.auth.providers.password = { ...raw.fleet.auth.providers.password, users: { ...users, [START_USER]: { passwordHash } } };
  for (const server of Object.values(raw.mcpServers) as Array<Record<string, unknown>>) {
    // Paths in the example are relative to its folder, not to the derived config's.
    if (server.command !== undefined) server.cwd = resolve(exampleDir, String(server.cwd ?? '.'));
    // So are the paths its sandbox shows the child (the derived config lives in stateDir).
    const sandbox = server.sandbox as { read?: unknown; write?: unknown } | false | undefined;
    for (const key of ['read', 'write'] as const) {
      const paths = sandbox ? sandbox[key] : undefined;
      if (sandbox && Array.isArray(paths)) sandbox[key] = paths.map((path) => resolve(exampleDir, String(path)));
    }
  }
  mkdirSync(join(example.stateDir, 'files-sandbox'), { recursive: true });
  const derivedFile = join(example.stateDir, 'fleet.start.json');
  writeFileSync(derivedFile, `${JSON.stringify(raw, null, 2)}\n`, { mode: 0o600 });
  return { config: requireFleetConfig(derivedFile), password, passwordFile, keepPassword };
}

import { readFileSync, statSync } from 'node:fs';

/** A config file others on the machine can read, while it holds secrets. A warning: the fleet still runs. */
export type ConfigFileModeWarning = { readonly path: string; readonly code: 'FLEET_WARN_CONFIG_FILE_MODE'; readonly message: string };

/**
 * Keys whose string value is a secret when written in the file: a user's password hash
 * (offline guessing), an IdP client secret, the Redis password. A value that is only
 * `${VAR}` references leaves the secret in the environment, not in the file.
 */
const SECRET_KEYS = new Set(['passwordHash', 'clientSecret', 'password']);
const BARE_REFERENCE = /\$\{[A-Za-z_][A-Za-z0-9_]*(?::-)?\}/g;
const PLAIN_KEY = /^[A-Za-z_$][\w$]*$/;

/** The JSON paths of the secrets written in the (raw, unexpanded) config itself. */
export function secretsWrittenIn(raw: unknown, path = ''): string[] {
  if (Array.isArray(raw)) return raw.flatMap((value, index) => secretsWrittenIn(value, `${path}[${index}]`));
  if (raw === null || typeof raw !== 'object') return [];
  return Object.entries(raw).flatMap(([key, value]) => {
    const at = PLAIN_KEY.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`;
    if (typeof value === 'string') return SECRET_KEYS.has(key) && value.replace(BARE_REFERENCE, '').trim() !== '' ? [at] : [];
    return secretsWrittenIn(value, at);
  });
}

/**
 * The warning `validate` and `up` give when `file` is readable by its group or by
 * everyone and holds secrets itself; undefined when it is private or holds none.
 */
export function configFileModeWarning(file: string): ConfigFileModeWarning | undefined {
  let mode: number;
  let raw: unknown;
  try {
    mode = statSync(file).mode & 0o777;
    const text = readFileSync(file, 'utf8');
    raw = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    // Unreadable or not JSON: the config's own errors say so.
    return undefined;
  }
  if ((mode & 0o044) === 0) return undefined;
  const secrets = secretsWrittenIn(raw);
  if (secrets.length === 0) return undefined;
  const readers = [mode & 0o040 ? 'its group' : '', mode & 0o004 ? 'every user' : ''].filter(Boolean).join(' and ');
  const shown = secrets.slice(0, 3).join(', ') + (secrets.length > 3 ? `, and ${secrets.length - 3} more` : '');
  return {
    path: file,
    code: 'FLEET_WARN_CONFIG_FILE_MODE',
    message: `mode ${mode.toString(8).padStart(4, '0')}: ${readers} can read the secrets it holds (${shown}); make it private: chmod 600 ${file}`,
  };
}

import { parseArgs } from 'node:util';
import { errors } from './errors.ts';

export const OPTIONS = {
  config: { type: 'string', short: 'c' },
  foreground: { type: 'boolean', default: false },
  // up: the fleet.hosts machine this is; its pm2 runs exactly the replicas placed there.
  host: { type: 'string' },
  json: { type: 'boolean', default: false },
  lines: { type: 'string', default: '100' },
  namespace: { type: 'string' },
  image: { type: 'string' },
  'caddy-image': { type: 'string' },
  'redis-image': { type: 'string' },
  'pod-cidr': { type: 'string' },
  'create-namespace': { type: 'boolean', default: false },
  'edge-replicas': { type: 'string' },
  'edge-storage-class': { type: 'string' },
  // k8s: NAME=SIZE, once per server whose replicas each get a volume of their own.
  volume: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export interface CommandLine {
  command: string | undefined;
  name: string | undefined;
  values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];
  lines: number;
  /** `--edge-replicas`, checked. */
  edgeReplicas: number | undefined;
  /** Every `--volume NAME=SIZE`, by server name. */
  volumes: Record<string, string> | undefined;
}

/** A PersistentVolumeClaim size as `--volume` and a server's "volume" key take it. */
export const VOLUME_SIZE = /^[1-9]\d*(Mi|Gi|Ti)$/;
const STORAGE_CLASS = /^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/;

/**
 * The arguments, or FLEET_ERR_USAGE saying which one is wrong: parseArgs throws a
 * TypeError whose message and stack are no help to someone who mistyped a flag.
 */
export function parseCommandLine(argv: string[], usage: string): CommandLine {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    throw errors.FLEET_ERR_USAGE(`${describeParseError(error as Error & { code?: string })}\n\n${usage}`);
  }
  const { values, positionals: [command, name] } = parsed;
  const lines = Number(values.lines);
  if (!Number.isInteger(lines) || lines < 1) throw errors.FLEET_ERR_USAGE(`--lines must be a positive whole number, not "${values.lines}"\n\n${usage}`);
  return { command, name, values, lines, ...k8sValues(values, usage) };
}

/** The k8s flags' shapes; what needs the config (a --volume's server exists) is checked by k8s itself. */
function k8sValues(values: CommandLine['values'], usage: string): Pick<CommandLine, 'edgeReplicas' | 'volumes'> {
  const edgeReplicas = values['edge-replicas'] === undefined ? undefined : Number(values['edge-replicas']);
  if (edgeReplicas !== undefined && !(/^\d+$/.test(values['edge-replicas'] ?? '') && edgeReplicas >= 2)) {
    // One Caddy pod would leave no edge while it rolls or its node drains.
    throw errors.FLEET_ERR_USAGE(`--edge-replicas must be a whole number of at least 2, not "${values['edge-replicas']}"\n\n${usage}`);
  }
  const storageClass = values['edge-storage-class'];
  if (storageClass !== undefined && !STORAGE_CLASS.test(storageClass)) {
    throw errors.FLEET_ERR_USAGE(`--edge-storage-class must be a StorageClass name (lowercase letters, digits, "-" and "."), not "${storageClass}"\n\n${usage}`);
  }
  if (!values.volume) return { edgeReplicas, volumes: undefined };
  const volumes: Record<string, string> = {};
  for (const entry of values.volume) {
    const match = /^([a-z0-9-]+)=(.*)$/.exec(entry);
    if (!match || !VOLUME_SIZE.test(match[2])) throw errors.FLEET_ERR_USAGE(`--volume must be NAME=SIZE like memory=2Gi (sizes in Mi, Gi or Ti), not "${entry}"\n\n${usage}`);
    if (Object.hasOwn(volumes, match[1])) throw errors.FLEET_ERR_USAGE(`--volume names ${match[1]} twice\n\n${usage}`);
    volumes[match[1]] = match[2];
  }
  return { edgeReplicas, volumes };
}

function describeParseError(error: Error & { code?: string }): string {
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /'([^']+)'/.exec(error.message)?.[1] ?? '?';
    const near = closestOption(option.replace(/^-+/, ''));
    return `unknown option "${option}"${near ? `; did you mean --${near}?` : ''}`;
  }
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const option = /--([\w-]+)/.exec(error.message)?.[1];
    if (option && OPTIONS[option as keyof typeof OPTIONS]?.type === 'string') return `--${option} needs a value (--${option} VALUE)`;
    if (option) return `--${option} takes no value`;
  }
  return error.message.split('\n')[0];
}

/** The option a typo most likely meant: at most two edits away. */
function closestOption(typed: string): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of Object.keys(OPTIONS)) {
    const distance = editDistance(typed, name);
    if (distance <= 2 && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

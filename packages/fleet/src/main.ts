#!/usr/bin/env node
// mcp-fleet: the only place that prints and exits; every command returns data or throws a FleetError.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine } from './command-line.ts';
import { FleetError, errors } from './errors.ts';
import { configFileFrom, requireFleetConfig, requireRunnableConfig } from './fleet-config.ts';
import { configFileModeWarning } from './config-file-mode.ts';
import type { ReconcileResult } from './reconcile.ts';

// Commands are imported when run: `validate` need not load pm2, oidc-provider and the rest.
import { formatTable } from './text-table.ts';

const USAGE = `usage: mcp-fleet <command> [--config FILE] [options]

  validate              check the config; every error names its JSON path
  up [--foreground] [--host H]  start or reconcile the fleet under pm2 (--host: the replicas placed on fleet.hosts H)
  status [--json]       name, URL, port, pid, state, restarts, memory, sessions
  restart NAME          restart one server's replicas one at a time, each drained first (others untouched)
  logs NAME [--lines N] that sidecar's log
  down                  stop every sidecar and child
  caddyfile             print the Caddyfile for the fleet
  clients [--json]      per-server client snippets (URLs to add)
  redirect-uris [--json] the callback URLs to register at the upstream IdP
  hash-password         hash a password for the password provider
  k8s [--namespace NS] [--image IMG] [--caddy-image IMG] [--redis-image IMG] [--pod-cidr CIDR]
      [--create-namespace] [--edge-replicas N] [--edge-storage-class NAME] [--volume NAME=SIZE]...
                        Kubernetes manifests for the fleet (YAML on stdout; deploy/kubernetes.md)
  rotate-keys NAME [--json] add a new signing key; the old one verifies until its tokens expire
  start                 run the example fleet in the foreground (npm start)

The config is --config FILE, else $MCP_FLEET_CONFIG, else ./fleet.json.
pm2 keeps its state in $PM2_HOME, else in the fleet's stateDir.`;

const EXAMPLE_CONFIG = resolve(fileURLToPath(new URL('../../../fleet.example.json', import.meta.url)));

function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function warn(warning: { path: string; message: string; code: string }): void {
  process.stderr.write(`warning: ${warning.path}: ${warning.message} (${warning.code})\n`);
}

function printReconcile(result: ReconcileResult): void {
  for (const [verb, names] of [['started', result.started], ['restarted', result.restarted], ['stopped', result.stopped], ['unchanged', result.unchanged]] as const) {
    if (names.length) print(`${verb}: ${names.join(', ')}`);
  }
  if (result.failed.length) {
    throw errors.FLEET_ERR_START_FAILED(result.failed.map((failure) => `  ${failure.server} (port ${failure.port}): ${failure.reason}`).join('\n'));
  }
}

async function run(argv: string[]): Promise<void> {
  const { command, name, values, lines, edgeReplicas, volumes } = parseCommandLine(argv, USAGE);
  if (values.help || !command) return print(USAGE);
  const file = () => configFileFrom(values.config);
  const config = () => requireFleetConfig(file());
  switch (command) {
    case 'validate': {
      const { validate } = await import('./commands/validate.ts');
      const result = validate(file());
      if (values.json) return print(JSON.stringify(result));
      for (const warning of result.warnings) warn(warning);
      return print(`${result.file} is valid: ${result.servers.length} servers (${result.servers.join(', ')})`);
    }
    case 'up': {
      const { up, upForeground } = await import('./commands/up.ts');
      const fleet = requireRunnableConfig(file());
      // A warning, not a refusal: the fleet runs, and the operator learns what to fix.
      const modeWarning = configFileModeWarning(fleet.configFile);
      if (modeWarning) warn(modeWarning);
      if (!values.foreground) return printReconcile(await up(fleet, values.host, warn));
      return upForeground(fleet, {
        onStarted: printReconcile,
        onLog: (app, line) => print(`${app} | ${line}`),
        onWarning: warn,
      });
    }
    case 'status': {
      const { status } = await import('./commands/status.ts');
      const rows = await status(config());
      if (values.json) return print(JSON.stringify(rows, null, 2));
      // One line per replica; a server with several replicas names each one NAME.rN.
      return print(formatTable(['NAME', 'URL', 'PORT', 'PID', 'STATE', 'HEALTH', 'RESTARTS', 'UPTIME', 'MEMORY', 'SESSIONS'], rows.flatMap((row) => row.replicas.map((replica) => [
        row.replicas.length > 1 ? `${row.name}.${replica.replica}` : row.name, row.url, String(replica.port), String(replica.pid ?? '-'), replica.state, replica.health ?? '-', String(replica.restarts),
        replica.uptimeSeconds === null ? '-' : `${replica.uptimeSeconds}s`,
        replica.memoryBytes === null ? '-' : `${Math.round(replica.memoryBytes / 1024 / 1024)} MB`,
        String(replica.sessions ?? '-'),
      ]))));
    }
    case 'restart': {
      const { restart } = await import('./commands/manage.ts');
      const result = await restart(config(), name);
      return print(`restarted ${result.server}${result.healthy ? '' : ' (it does not answer /health yet: see mcp-fleet logs ' + result.server + ')'}`);
    }
    case 'logs': {
      const { logs } = await import('./commands/manage.ts');
      return print((await logs(config(), name, lines)).join('\n'));
    }
    case 'down': {
      const { down } = await import('./commands/manage.ts');
      const result = await down(config());
      return print(result.stopped.length ? `stopped: ${result.stopped.join(', ')}` : 'nothing was running');
    }
    case 'caddyfile': {
      const [{ renderCaddyfile }, { askUrlFor }] = await Promise.all([import('./caddy/render-caddyfile.ts'), import('./caddy/ask-server.ts')]);
      const fleet = config();
      return print(renderCaddyfile(fleet, { askUrl: askUrlFor(fleet) }));
    }
    case 'clients': {
      const { clients } = await import('./commands/clients.ts');
      const snippets = clients(config());
      if (values.json) return print(JSON.stringify(snippets, null, 2));
      return print([
        'URLs:', ...Object.entries(snippets.urls).map(([server, url]) => `  ${server}: ${url}`), '',
        'Claude (claude_desktop_config.json / claude.ai connectors):', JSON.stringify(snippets.claude, null, 2), '',
        'VS Code (.vscode/mcp.json):', JSON.stringify(snippets.vscode, null, 2), '',
        'Gemini CLI (settings.json):', JSON.stringify(snippets.gemini, null, 2),
      ].join('\n'));
    }
    case 'redirect-uris': {
      const { redirectUris } = await import('./commands/redirect-uris.ts');
      const providers = redirectUris(config());
      if (values.json) return print(JSON.stringify(providers, null, 2));
      if (!providers.length) return print('no upstream provider (google, github, oidc) is configured');
      return print(providers.map((entry) => [`${entry.provider}:`, ...entry.uris.map((uri) => `  ${uri}`), ...(entry.warning ? [`  warning: ${entry.warning}`] : [])].join('\n')).join('\n'));
    }
    case 'hash-password': {
      const { hashPasswordFrom } = await import('./commands/hash-password.ts');
      return print(await hashPasswordFrom(process.stdin, process.stdout));
    }
    case 'k8s': {
      const { k8s } = await import('./commands/k8s.ts');
      return print(k8s(file(), {
        namespace: values.namespace, image: values.image, caddyImage: values['caddy-image'],
        redisImage: values['redis-image'], podCidr: values['pod-cidr'], createNamespace: values['create-namespace'] || undefined,
        edgeReplicas, edgeStorageClass: values['edge-storage-class'], serverVolumes: volumes,
      }));
    }
    case 'rotate-keys': {
      const { rotateKeys } = await import('./commands/rotate-keys.ts');
      const rotated = await rotateKeys(config(), name);
      if (values.json) return print(JSON.stringify(rotated, null, 2));
      return print([
        `${rotated.server}: new signing key ${rotated.kid} (running sidecars switch to it by themselves, within seconds)`,
        ...rotated.retiring.map((key) => `  ${key.kid} still verifies tokens until ${new Date(key.retireAt).toISOString()}`),
        ...rotated.removed.map((kid) => `  ${kid} retired and removed`),
      ].join('\n'));
    }
    case 'start': {
      const [{ START_USER, prepareStart }, { upForeground }] = await Promise.all([import('./commands/start.ts'), import('./commands/up.ts')]);
      const prepared = await prepareStart(configFileFrom(values.config, { ...process.env, MCP_FLEET_CONFIG: process.env.MCP_FLEET_CONFIG ?? EXAMPLE_CONFIG }));
      return upForeground(prepared.config, {
        onStarted: (result) => {
          printReconcile(result);
          prepared.keepPassword();
          print('');
          for (const server of prepared.config.servers) print(`  ${server.name}: ${server.publicUrl}/mcp`);
          print('');
          print(prepared.password
            ? `Sign in as "${START_USER}" with password: ${prepared.password}\n(shown once; only its hash is kept in ${prepared.passwordFile})`
            : `Sign in as "${START_USER}" with the password shown on first start (set MCP_FLEET_PASSWORD to choose a new one).`);
          const first = prepared.config.servers[0];
          print(`\nConnect: npx @modelcontextprotocol/inspector  (transport "Streamable HTTP", URL ${first.publicUrl}/mcp)`);
          print(`     or: npx mcp-remote ${first.publicUrl}/mcp\nCtrl-C stops every server.`);
        },
        onLog: (app, line) => print(`${app} | ${line}`),
      });
    }
    default:
      throw errors.FLEET_ERR_USAGE(`unknown command "${command}"\n\n${USAGE}`);
  }
}

run(process.argv.slice(2)).then(() => process.exit(0), (error: unknown) => {
  if (error instanceof FleetError) {
    process.stderr.write(`mcp-fleet: ${error.message}\n`);
    process.exit(error.exitCode);
  }
  process.stderr.write(`mcp-fleet: unexpected error: ${(error as Error).stack ?? error}\n`);
  process.exit(2);
});

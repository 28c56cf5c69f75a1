import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pm2 from 'pm2';
import type { FleetConfig } from '@mcp-fleet/config';
import { errors } from './errors.ts';
import type { Pm2App } from './fleet-apps.ts';
import { makePm2HomePrivate, prepareAppLogs } from './private-files.ts';

export interface Pm2Process {
  name: string;
  pid: number | undefined;
  status: string;
  restarts: number;
  uptimeMs: number | undefined;
  memoryBytes: number | undefined;
  fingerprint: string | undefined;
}

/**
 * Where the fleet's pm2 keeps its state: PM2_HOME when set, else inside the
 * fleet's stateDir, so the fleet never touches a user's own pm2 daemon.
 */
export function pm2Home(config: FleetConfig, environment: NodeJS.ProcessEnv = process.env): string {
  return environment.PM2_HOME || join(config.stateDir, 'pm2');
}

/**
 * Whether a pm2 daemon (or a foreground fleet's in-process pm2) runs on `home`. Commands
 * that only look or stop ask this first: connecting would start a daemon, left behind.
 */
export function pm2DaemonRunning(home: string): boolean {
  try {
    process.kill(Number(readFileSync(join(home, 'pm2.pid'), 'utf8')), 0);
    return true;
  } catch {
    return false;
  }
}

type Callback<T> = (error: Error | null, result: T) => void;

/** The part of pm2's API class the fleet uses; its published types omit `pm2.custom`. */
interface Pm2Api {
  connect(done: Callback<unknown>): void;
  list(done: Callback<pm2.ProcessDescription[]>): void;
  start(options: pm2.StartOptions, done: Callback<unknown>): void;
  restart(name: string, done: Callback<unknown>): void;
  delete(name: string, done: Callback<unknown>): void;
  killDaemon(done: Callback<unknown>): void;
  launchBus(done: Callback<{ on(event: string, listener: (packet: { process: { name: string }; data: string }) => void): void }>): void;
  disconnect(): void;
}

const Pm2Custom = (pm2 as unknown as { custom: new (options: { pm2_home: string; daemon_mode: boolean; independent: boolean }) => Pm2Api }).custom;

/** pm2's programmatic API, promised, on one PM2_HOME. */
export class Pm2Connection {
  readonly home: string;
  readonly #api: Pm2Api;

  private constructor(home: string, api: Pm2Api) {
    this.home = home;
    this.#api = api;
  }

  /** Connects to (or starts) the daemon; `inProcess` runs pm2 inside this process, as pm2-runtime does. */
  static async open(home: string, options: { inProcess: boolean }): Promise<Pm2Connection> {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    const api = new Pm2Custom({ pm2_home: home, daemon_mode: !options.inProcess, independent: false });
    const connection = new Pm2Connection(home, api);
    await connection.#call('connect to its daemon', (done: Callback<unknown>) => api.connect(done));
    // The daemon has made its log and sockets by now (pm2 chmods the sockets to 0775 as it binds them).
    makePm2HomePrivate(home);
    return connection;
  }

  async list(): Promise<Pm2Process[]> {
    const described = await this.#call('list processes', (done: Callback<pm2.ProcessDescription[]>) => this.#api.list(done));
    return described.map((process) => {
      const env = (process.pm2_env ?? {}) as Record<string, unknown> & { status?: string; restart_time?: number; pm_uptime?: number };
      return {
        name: process.name ?? '',
        pid: process.pid || undefined,
        status: env.status ?? 'unknown',
        restarts: env.restart_time ?? 0,
        uptimeMs: env.status === 'online' && env.pm_uptime ? Date.now() - env.pm_uptime : undefined,
        memoryBytes: process.monit?.memory,
        fingerprint: typeof env.MCP_FLEET_FINGERPRINT === 'string' ? env.MCP_FLEET_FINGERPRINT : undefined,
      };
    });
  }

  async start(app: Pm2App): Promise<void> {
    prepareAppLogs([app]);
    await this.#call(`start ${app.name}`, (done: Callback<unknown>) => this.#api.start(app as unknown as pm2.StartOptions, done));
  }

  async restart(name: string): Promise<void> {
    await this.#call(`restart ${name}`, (done: Callback<unknown>) => this.#api.restart(name, done));
  }

  async delete(name: string): Promise<void> {
    await this.#call(`stop ${name}`, (done: Callback<unknown>) => this.#api.delete(name, done));
  }

  /** Stops every app and the daemon (in-process: pm2 itself). */
  async kill(): Promise<void> {
    await this.#call('stop its daemon', (done: Callback<unknown>) => this.#api.killDaemon(done));
  }

  /** Calls `online` with every line the apps write, as pm2-runtime shows them. */
  async streamLogs(online: (app: string, line: string) => void): Promise<void> {
    const bus = await this.#call('stream logs', (done: Callback<Parameters<Parameters<Pm2Api['launchBus']>[0]>[1]>) => this.#api.launchBus(done));
    for (const event of ['log:out', 'log:err']) {
      bus.on(event, (packet) => {
        for (const line of String(packet.data).split('\n')) if (line.trim()) online(packet.process.name, line);
      });
    }
  }

  disconnect(): void {
    this.#api.disconnect();
  }

  async #call<T>(action: string, run: (done: Callback<T>) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      run((error, result) => (error ? reject(errors.FLEET_ERR_PM2(action, error.message ?? String(error))) : resolve(result)));
    });
  }
}

// The measurements, each against one server through the raw client, each bounded in calls and time.
import type { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { RawMcpClient } from './raw-client.ts';
import type { JsonRpcMessage } from './raw-client.ts';

export const ECHO = { name: 'echo', args: { message: 'hi' } } as const;

export interface ErrorTally {
  errors: number;
  firstError: string | undefined;
}

function tally(into: ErrorTally, error: unknown): void {
  into.errors += 1;
  into.firstError ??= (error as Error).message;
}

function echoText(response: JsonRpcMessage): string | undefined {
  const content = (response.result as { content?: { text?: string }[] } | undefined)?.content;
  return content?.[0]?.text;
}

/** One echo call whose answer is checked, so that a server answering nonsense fails loudly. */
export async function checkedEcho(client: RawMcpClient): Promise<void> {
  const text = echoText(await client.callTool(ECHO.name, ECHO.args));
  if (text !== 'Echo: hi') throw new Error(`echo answered ${JSON.stringify(text)}, not "Echo: hi"`);
}

export interface SequentialResult extends ErrorTally {
  /** Per-call latency in µs. */
  samplesUs: number[];
}

export async function sequentialEcho(client: RawMcpClient, options: { warmup: number; calls: number; maxMs: number }): Promise<SequentialResult> {
  const result: SequentialResult = { samplesUs: [], errors: 0, firstError: undefined };
  const deadline = performance.now() + options.maxMs;
  for (let i = 0; i < options.warmup && performance.now() < deadline; i++) {
    try {
      await client.callTool(ECHO.name, ECHO.args);
    } catch (error) {
      tally(result, error);
    }
  }
  for (let i = 0; i < options.calls && performance.now() < deadline; i++) {
    const start = performance.now();
    try {
      await client.callTool(ECHO.name, ECHO.args);
      result.samplesUs.push((performance.now() - start) * 1000);
    } catch (error) {
      tally(result, error);
    }
  }
  return result;
}

export interface ThroughputResult extends ErrorTally {
  completed: number;
  elapsedMs: number;
  callsPerSecond: number;
}

async function echoLoop(client: RawMcpClient, concurrency: number, maxCalls: number, maxMs: number): Promise<ThroughputResult> {
  const result: ThroughputResult = { completed: 0, elapsedMs: 0, callsPerSecond: 0, errors: 0, firstError: undefined };
  let started = 0;
  const start = performance.now();
  const deadline = start + maxMs;
  const worker = async () => {
    while (started < maxCalls && performance.now() < deadline) {
      started += 1;
      try {
        await client.callTool(ECHO.name, ECHO.args);
        result.completed += 1;
      } catch (error) {
        tally(result, error);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  result.elapsedMs = performance.now() - start;
  result.callsPerSecond = result.completed / (result.elapsedMs / 1000);
  return result;
}

/** Echo calls with `concurrency` in flight at all times, after a short warm-up at the same concurrency. */
export async function concurrentEcho(client: RawMcpClient, options: { concurrency: number; maxCalls: number; maxMs: number; warmupMs: number }): Promise<ThroughputResult> {
  await echoLoop(client, options.concurrency, options.maxCalls, options.warmupMs);
  return echoLoop(client, options.concurrency, options.maxCalls, options.maxMs);
}

export interface SlowCallsResult extends ErrorTally {
  wallMs: number;
  completed: number;
}

/** `count` slow tool calls at once in one session: the wall time until the last answer. */
export async function concurrentSlowCalls(client: RawMcpClient, options: { count: number; durationSeconds: number }): Promise<SlowCallsResult> {
  const result: SlowCallsResult = { wallMs: 0, completed: 0, errors: 0, firstError: undefined };
  const start = performance.now();
  await Promise.all(Array.from({ length: options.count }, async () => {
    try {
      await client.callTool('trigger-long-running-operation', { duration: options.durationSeconds, steps: 1 });
      result.completed += 1;
    } catch (error) {
      tally(result, error);
    }
  }));
  result.wallMs = performance.now() - start;
  return result;
}

export interface InitializeResult extends ErrorTally {
  /** initialize round trip, in ms. */
  samplesMs: number[];
}

/**
 * Opens `sessions` sessions one after another, `gapMs` apart, timing the `initialize`
 * POST alone; each session is initialized, then ended with DELETE (not timed).
 */
export async function initializeLatency(
  options: { port: number; agent: Agent; sessions: number; gapMs: number; beforeEach?: () => Promise<void> },
): Promise<InitializeResult> {
  const result: InitializeResult = { samplesMs: [], errors: 0, firstError: undefined };
  for (let i = 0; i < options.sessions; i++) {
    await sleep(options.gapMs);
    await options.beforeEach?.();
    const client = new RawMcpClient({ port: options.port, agent: options.agent });
    const start = performance.now();
    try {
      await client.initialize();
      result.samplesMs.push(performance.now() - start);
      await client.notify('notifications/initialized');
      const status = await client.close();
      if (status !== 200 && status !== 204) throw new Error(`DELETE answered HTTP ${status}`);
    } catch (error) {
      tally(result, error);
    }
  }
  return result;
}

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { test } from 'node:test';
import { IdleHeapReducer } from '../src/idle-heap-reducer.ts';
import type { ExposedGc } from '../src/idle-heap-reducer.ts';

const MiB = 1024 * 1024;

/** A reducer over a scripted process: each check() sees a period of 1 s, busy for the share and with the RSS the test sets. */
function scripted(options: { growthBytes?: number; quietMs?: number; firstQuietMs?: number } = {}) {
  const state = { rss: 80 * MiB, busy: 0, collections: [] as object[], reduced: [] as object[] };
  const gc: ExposedGc = (gcOptions) => {
    state.collections.push(gcOptions);
    state.rss -= 10 * MiB;
  };
  const reading = { idle: 0, active: 0, utilization: 0 } satisfies EventLoopUtilization;
  const reducer = new IdleHeapReducer({
    gc,
    quietMs: 0,
    ...options,
    rss: () => state.rss,
    utilization: (current, previous) => (current && previous ? { idle: 1000 * (1 - state.busy), active: 1000 * state.busy, utilization: state.busy } : reading),
    onReduced: (figures) => state.reduced.push(figures),
  });
  return { state, reducer };
}

test('the first idle period hands back what the start left, with the collection that releases memory', () => {
  const { state, reducer } = scripted();
  state.busy = 0.5;
  assert.equal(reducer.check(), false, 'busy: nothing is collected');
  state.busy = 0.01;
  assert.equal(reducer.check(), true);
  assert.deepEqual(state.collections, [{ type: 'major', execution: 'sync', flavor: 'last-resort' }]);
  assert.equal(state.reduced.length, 1);
  const [figures] = state.reduced as { beforeBytes: number; afterBytes: number; ms: number }[];
  assert.equal(figures.beforeBytes, 80 * MiB);
  assert.equal(figures.afterBytes, 70 * MiB);
  assert.ok(figures.ms >= 0);
  assert.equal(reducer.check(), false, 'nothing grew since: no second collection');
});

test('a busy sidecar is never collected this way, however much it grew; once idle it is, once', () => {
  const { state, reducer } = scripted();
  state.busy = 0.01;
  reducer.check();
  state.busy = 0.9;
  for (let period = 0; period < 5; period++) {
    state.rss += 20 * MiB;
    assert.equal(reducer.check(), false);
  }
  state.busy = 0.02;
  assert.equal(reducer.check(), true);
  assert.equal(reducer.check(), false);
  assert.equal(state.collections.length, 2);
});

test('growth is counted from the lowest RSS at rest, and below growthBytes nothing is collected', () => {
  const { state, reducer } = scripted({ growthBytes: 4 * MiB });
  state.busy = 0;
  reducer.check();
  assert.equal(state.rss, 70 * MiB);
  state.rss = 73 * MiB;
  assert.equal(reducer.check(), false, '+3 MiB is below the threshold');
  state.rss = 66 * MiB;
  assert.equal(reducer.check(), false, 'memory went back by itself: the new low point');
  state.rss = 69 * MiB;
  assert.equal(reducer.check(), false, '+3 MiB over the new low point');
  state.rss = 70 * MiB;
  assert.equal(reducer.check(), true, '+4 MiB over the low point of 66, though not over the 70 after the last collection');
});

test('only a quiet period as long as quietMs counts: a pause in the traffic does not', () => {
  const { state, reducer } = scripted({ quietMs: 3_000, firstQuietMs: 3_000 });
  state.busy = 0.01;
  assert.equal(reducer.check(), false, '1 s quiet');
  assert.equal(reducer.check(), false, '2 s quiet');
  state.busy = 0.3;
  assert.equal(reducer.check(), false, 'traffic again');
  state.busy = 0.01;
  assert.equal(reducer.check(), false);
  assert.equal(reducer.check(), false);
  assert.equal(state.collections.length, 0);
  assert.equal(reducer.check(), true, '3 s quiet');
  state.rss += 20 * MiB;
  assert.equal(reducer.check(), false, 'a new quiet period starts after a collection');
  assert.equal(reducer.check(), false);
  assert.equal(reducer.check(), true);
});

test('what the start left goes after a shorter quiet period than a burst\'s memory', () => {
  const { state, reducer } = scripted({ quietMs: 3_000, firstQuietMs: 1_000 });
  state.busy = 0.01;
  assert.equal(reducer.check(), true, 'the first collection after 1 s');
  state.rss += 20 * MiB;
  assert.equal(reducer.check(), false);
  assert.equal(reducer.check(), false);
  assert.equal(reducer.check(), true, 'later ones after 3 s');
});

test('V8 takes the collection as the reducer asks for it, and the heap shrinks', () => {
  // A process of its own: gc is exposed only with the flag, as sidecarNodeArgs gives it.
  const script = `
    import { IdleHeapReducer } from ${JSON.stringify(new URL('../src/idle-heap-reducer.ts', import.meta.url).href)};
    let garbage = Array.from({ length: 300_000 }, (_, index) => ({ index, text: 'x'.repeat(40) + index }));
    garbage = undefined;
    const heapBefore = process.memoryUsage().heapTotal;
    let reduced;
    const reducer = new IdleHeapReducer({ gc: globalThis.gc, idleUtilization: 1.01, quietMs: 0, onReduced: (figures) => { reduced = figures; } });
    const collected = reducer.check();
    console.log(JSON.stringify({ collected, reduced, heapBefore, heapAfter: process.memoryUsage().heapTotal }));
  `;
  const output = execFileSync(process.execPath, ['--expose-gc', '--max-semi-space-size=8', '--input-type=module', '-e', script], { encoding: 'utf8' });
  const result = JSON.parse(output) as { collected: boolean; reduced: { beforeBytes: number; afterBytes: number }; heapBefore: number; heapAfter: number };
  assert.equal(result.collected, true);
  assert.ok(result.heapAfter < result.heapBefore, `heap ${result.heapBefore} → ${result.heapAfter}`);
  assert.ok(result.reduced.beforeBytes > 0 && result.reduced.afterBytes > 0);
});

test('out of descriptors (EMFILE reading RSS from /proc): the check is skipped and told, never thrown', () => {
  const failures: unknown[] = [];
  let failing = true;
  const reducer = new IdleHeapReducer({
    gc: () => {},
    quietMs: 0,
    rss: () => {
      if (failing) throw Object.assign(new Error('EMFILE: too many open files, uv_resident_set_memory'), { code: 'EMFILE', syscall: 'uv_resident_set_memory' });
      return 80 * MiB;
    },
    utilization: (current, previous) => (current && previous ? { idle: 1000, active: 0, utilization: 0 } : { idle: 0, active: 0, utilization: 0 }),
    onFailure: (error) => failures.push(error),
  });
  assert.equal(reducer.check(), false);
  assert.equal(reducer.check(), false);
  assert.equal(failures.length, 2);
  assert.equal((failures[0] as NodeJS.ErrnoException).code, 'EMFILE');
  failing = false;
  assert.equal(reducer.check(), true, 'descriptors back: the next idle check collects');
});

test('the timer of start() survives a failing check, whatever the error', async () => {
  const failures: unknown[] = [];
  let readings = 0;
  const reducer = new IdleHeapReducer({
    gc: () => {},
    checkEveryMs: 5,
    quietMs: 0,
    rss: () => { throw Object.assign(new Error('ENFILE: file table overflow'), { code: 'ENFILE' }); },
    utilization: () => {
      if (readings++ > 0) throw new TypeError('a reading that breaks');
      return { idle: 0, active: 0, utilization: 0 };
    },
    onFailure: (error) => failures.push(error),
  });
  reducer.start();
  for (let waited = 0; failures.length < 2 && waited < 2_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
  reducer.stop();
  assert.ok(failures.length >= 2, `${failures.length} failures told`);
});

// The official MCP conformance suite's server scenarios, run against a stdio
// fixture server behind the bridge, in both isolation modes. A scenario that
// cannot pass is listed with its reason in expected-failures.json; the suite
// fails when a listed one starts passing, so the list never goes stale.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBridge } from '../support/bridge-server.ts';
import { listActiveServerScenarios, loadExpectedFailures, runServerScenarios } from './run-server-scenarios.ts';

const fixture = new URL('../fixtures/conformance-server.ts', import.meta.url).pathname;
const expectedFailures = loadExpectedFailures();

for (const isolation of ['session', 'shared'] as const) {
  describe(`conformance server scenarios through the bridge, isolation "${isolation}"`, () => {
    test('every active scenario passes, or fails as expected', { timeout: 300_000 }, async (t) => {
      const bridge = await startBridge({ command: process.execPath, args: [fixture], isolation, sessionIdleTimeoutMs: 60_000 });
      t.after(() => bridge.close());
      const scenarios = listActiveServerScenarios();
      assert.ok(scenarios.length >= 25, `the suite lists ${scenarios.length} active server scenarios`);
      const results = await runServerScenarios(bridge.url.replace('127.0.0.1', 'localhost'), { scenarios });
      const unexpected = results.filter((result) => result.passed === (result.scenario in expectedFailures));
      for (const result of results) t.diagnostic(`${result.passed ? 'pass' : 'FAIL'} ${result.scenario}: ${result.detail}`);
      assert.deepEqual(
        unexpected.map((result) => `${result.scenario}: ${result.passed ? 'passes but is listed in expected-failures.json' : result.detail}`),
        [],
      );
    });
  });
}

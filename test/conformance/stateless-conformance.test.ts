// The official conformance suite's server scenarios required by MCP
// 2026-07-28 (conformance-next = @modelcontextprotocol/conformance
// 0.2.0-alpha.12), run at the 2026-07-28 wire through a signed-in sidecar in
// front of a 2025-era stdio fixture, in both isolation modes. Every required
// scenario must pass: the bridge translates the stateless protocol to the
// child's 2025 one (INTEROP E1-E9).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword } from '@mcp-fleet/auth';
import { startBearerProxy } from '../support/bearer-proxy.ts';
import { obtainTokens } from '../support/raw-oauth.ts';
import { startSidecar } from '../support/sidecar-server.ts';
import { listRequiredServerScenarios, runServerScenarios } from './run-server-scenarios.ts';

const fixture = new URL('../fixtures/stateless-conformance-server.ts', import.meta.url).pathname;
const alice = { username: 'alice', password: 'correct horse' };

for (const isolation of ['shared', 'session'] as const) {
  describe(`conformance 2026-07-28 server scenarios through a signed-in sidecar, isolation "${isolation}"`, () => {
    test('every required scenario passes', { timeout: 300_000 }, async (t) => {
      const fleet = { auth: { providers: { password: { users: { alice: { passwordHash: await hashPassword(alice.password) } } } } }, metrics: { public: true } };
      const sidecar = await startSidecar({ fleet, mcpServers: { conformance: { command: process.execPath, args: [fixture], isolation } } }, 'conformance');
      t.after(() => sidecar.close());
      const { tokens } = await obtainTokens(sidecar.origin, alice);
      const proxy = await startBearerProxy(sidecar.url, tokens.access_token);
      t.after(() => proxy.close());

      const scenarios = listRequiredServerScenarios('conformance-next', '2026-07-28');
      assert.ok(scenarios.length >= 37, `the suite lists ${scenarios.length} server scenarios required by 2026-07-28`);
      const results = await runServerScenarios(proxy.url, { scenarios, pkg: 'conformance-next', specVersion: '2026-07-28' });
      for (const result of results) t.diagnostic(`${result.passed ? 'pass' : 'FAIL'} ${result.scenario}: ${result.detail}`);
      assert.deepEqual(results.filter((result) => !result.passed).map((result) => `${result.scenario}: ${result.detail}`), []);

      // The suite spoke the stateless era only, as the sidecar's own metric says.
      const metrics = await (await fetch(`${sidecar.origin}/metrics`)).text();
      assert.match(metrics, /mcp_requests_by_era_total\{server="conformance",era="2026-07-28"\} \d{2,}/);
      assert.doesNotMatch(metrics, /era="2025"/);
    });
  });
}

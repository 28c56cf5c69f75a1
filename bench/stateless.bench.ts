// Per-call latency of a 2026-07-28 stateless call against a 2025 session call
// through the same signed-in sidecar (server-everything's `echo`, session
// isolation), and the cost of one input round trip (an elicitation answered
// through an InputRequiredResult and the retry). Rounds of each kind alternate
// so that drift hits both alike. Not a timed test: run `npm run bench:stateless`.
import { hashPassword } from '@mcp-fleet/auth';
import { servers } from '../test/support/bridge-server.ts';
import { obtainTokens } from '../test/support/raw-oauth.ts';
import { openSession, post, readJsonRpc } from '../test/support/raw-mcp.ts';
import { startSidecar } from '../test/support/sidecar-server.ts';
import { summarize } from './latency-stats.ts';
import type { Summary } from './latency-stats.ts';
import { markdownTable } from './text-table.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const CALLS_PER_ROUND = 50;
const INPUT_TRIPS = Number(process.env.BENCH_INPUT_TRIPS ?? 100);
const META = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } };

const password = 'bench password';
const fleet = { logLevel: 'warn', auth: { providers: { password: { users: { bench: { passwordHash: await hashPassword(password) } } } } } };
const sidecar = await startSidecar({ fleet, mcpServers: { everything: { command: process.execPath, args: [servers.everything, 'stdio'] } } }, 'everything');
try {
  const { tokens } = await obtainTokens(sidecar.origin, { username: 'bench', password });
  const auth = { authorization: `Bearer ${tokens.access_token}` };
  const sessionId = await openSession(sidecar.url, '2025-11-25', auth);
  const sessionHeaders = { ...auth, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
  const statelessHeaders = { ...auth, 'mcp-protocol-version': '2026-07-28' };
  let id = 0;

  async function timed(url: string, body: object, headers: Record<string, string>): Promise<{ ms: number; message: any }> {
    const start = performance.now();
    const message = await readJsonRpc(await post(url, body, headers));
    return { ms: performance.now() - start, message };
  }
  const echo = (params: object = {}) => ({ jsonrpc: '2.0', id: ++id, method: 'tools/call', params: { name: 'echo', arguments: { message: 'bench' }, ...params } });
  const sessionCall = () => timed(sidecar.url, echo(), sessionHeaders);
  const statelessCall = () => timed(sidecar.url, echo({ _meta: META }), statelessHeaders);

  // Warm-up: the stateless channel's child starts at its first request.
  for (let i = 0; i < 100; i += 1) {
    await sessionCall();
    await statelessCall();
  }
  const session2025: number[] = [];
  const stateless2026: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    for (let i = 0; i < CALLS_PER_ROUND; i += 1) session2025.push((await sessionCall()).ms);
    for (let i = 0; i < CALLS_PER_ROUND; i += 1) stateless2026.push((await statelessCall()).ms);
  }

  // One input round trip: the call answered with an InputRequiredResult, then the retry with the answer.
  const firstLeg: number[] = [];
  const retryLeg: number[] = [];
  for (let i = 0; i < INPUT_TRIPS; i += 1) {
    const call = { name: 'trigger-elicitation-request', arguments: {}, _meta: META };
    const first = await timed(sidecar.url, { jsonrpc: '2.0', id: ++id, method: 'tools/call', params: call }, statelessHeaders);
    const result = first.message.result;
    if (result?.resultType !== 'input_required') throw new Error(`expected an InputRequiredResult, got ${JSON.stringify(first.message).slice(0, 200)}`);
    const [key] = Object.keys(result.inputRequests);
    const retry = await timed(sidecar.url, {
      jsonrpc: '2.0', id: ++id, method: 'tools/call',
      params: { ...call, inputResponses: { [key]: { action: 'accept', content: { name: 'Bench' } } }, requestState: result.requestState },
    }, statelessHeaders);
    if (retry.message.result?.resultType !== 'complete') throw new Error(`the retry did not complete: ${JSON.stringify(retry.message).slice(0, 200)}`);
    firstLeg.push(first.ms);
    retryLeg.push(retry.ms);
  }

  const row = (name: string, s: Summary) => [name, String(s.count), s.median.toFixed(3), s.mean.toFixed(3), s.p99.toFixed(3)];
  const a = summarize(session2025);
  const b = summarize(stateless2026);
  const trips = summarize(firstLeg.map((ms, i) => ms + retryLeg[i]));
  console.log(markdownTable(['through one signed-in sidecar (echo)', 'calls', 'median ms', 'mean ms', 'p99 ms'], [
    row('2025 session call', a),
    row('2026-07-28 stateless call', b),
    row('input round trip: first leg (InputRequiredResult)', summarize(firstLeg)),
    row('input round trip: retry leg (answer, result)', summarize(retryLeg)),
    row('input round trip: both legs', trips),
  ]));
  console.log(`\nstateless vs session, median: ${((b.median / a.median - 1) * 100).toFixed(1)} %; mean: ${((b.mean / a.mean - 1) * 100).toFixed(1)} %`);
  console.log(`one input round trip costs ${(trips.median - b.median).toFixed(1)} ms over a plain stateless call (median), of which the quiet window is 30 ms`);
} finally {
  await sidecar.close();
}

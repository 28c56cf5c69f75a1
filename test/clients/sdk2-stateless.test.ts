// The 2.x TypeScript SDK client in the 2026-07-28 era (discover, tools,
// elicitation answered through an InputRequiredResult and the retry,
// subscriptions/listen) against server-everything, a 2025-era stdio server,
// behind a signed-in sidecar; and a 1.x client on the same sidecar at the same
// time, in its 2025 session. Both eras show in the sidecar's metrics.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { hashPassword } from '@mcp-fleet/auth';
import { servers } from '../support/bridge-server.ts';
import { obtainTokens } from '../support/raw-oauth.ts';
import { startSidecar } from '../support/sidecar-server.ts';
import type { RunningSidecar } from '../support/sidecar-server.ts';

const alice = { username: 'alice', password: 'correct horse' };
const bob = { username: 'bob', password: 'battery staple' };

for (const isolation of ['session', 'shared'] as const) {
  describe(`2.x SDK client, 2026-07-28, beside a 1.x client, isolation "${isolation}"`, () => {
    let sidecar: RunningSidecar;
    let token: string;
    before(async () => {
      const users = { alice: { passwordHash: await hashPassword(alice.password) }, bob: { passwordHash: await hashPassword(bob.password) } };
      const fleet = { auth: { providers: { password: { users } } }, metrics: { public: true } };
      sidecar = await startSidecar({ fleet, mcpServers: { everything: { command: process.execPath, args: [servers.everything, 'stdio'], isolation } } }, 'everything');
      token = (await obtainTokens(sidecar.origin, alice)).tokens.access_token;
    });
    after(() => sidecar.close());

    async function modernClient(onElicit?: () => void, bearer = token): Promise<ModernClient> {
      const client = new ModernClient({ name: 'sdk2-test', version: '1.0.0' }, {
        capabilities: { elicitation: {} },
        versionNegotiation: { mode: { pin: '2026-07-28' } },
      });
      client.setRequestHandler('elicitation/create', async () => {
        onElicit?.();
        return { action: 'accept', content: { name: 'Alice Example', check: true, email: 'alice@example.com' } };
      });
      await client.connect(new ModernTransport(new URL(sidecar.url), { requestInit: { headers: { authorization: `Bearer ${bearer}` } } }));
      return client;
    }

    // server-everything asks its client for roots 350 ms after initialize, on its own: the
    // bridge declared roots for the client it stands in for. That request lands in whatever
    // call is in flight; this client did not declare roots, yet its call must still succeed.
    test('the server asking for roots on its own does not fail the call in flight', async (t) => {
      const bobToken = (await obtainTokens(sidecar.origin, bob)).tokens.access_token;
      const modern = await modernClient(undefined, bobToken);
      t.after(() => modern.close());
      const started = Date.now();
      const answer = await modern.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 1, steps: 2 } });
      assert.ok(Date.now() - started >= 900, 'the call ran its whole second');
      assert.notEqual(answer.isError, true);
      assert.match(JSON.stringify(answer.content), /completed/i);
    });

    test('discover, tools, an elicitation through the retry, and a 1.x session at the same time', async (t) => {
      let elicited = 0;
      const modern = await modernClient(() => {
        elicited += 1;
      });
      t.after(() => modern.close());
      const legacy = new Client({ name: 'sdk1-test', version: '1.0.0' });
      await legacy.connect(new StreamableHTTPClientTransport(new URL(sidecar.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
      t.after(() => legacy.close());

      const discovered = await modern.discover();
      const serverInfo = (discovered._meta as Record<string, { name?: string }> | undefined)?.['io.modelcontextprotocol/serverInfo'];
      assert.equal(serverInfo?.name, 'mcp-servers/everything');
      assert.ok(discovered.supportedVersions.includes('2026-07-28'));
      assert.ok(discovered.capabilities.tools);

      const [modernTools, legacyTools] = await Promise.all([modern.listTools(), legacy.listTools()]);
      assert.ok(modernTools.tools.some((tool) => tool.name === 'echo'));
      // The 1.x client declared no elicitation: in session isolation its child offers fewer tools; both have echo.
      assert.ok(legacyTools.tools.some((tool) => tool.name === 'echo'));

      const [modernEcho, legacyEcho] = await Promise.all([
        modern.callTool({ name: 'echo', arguments: { message: 'from 2026' } }),
        legacy.callTool({ name: 'echo', arguments: { message: 'from 2025' } }),
      ]);
      assert.equal((modernEcho.content as Array<{ text: string }>)[0].text, 'Echo: from 2026');
      assert.equal((legacyEcho.content as Array<{ text: string }>)[0].text, 'Echo: from 2025');

      const elicitation = await modern.callTool({ name: 'trigger-elicitation-request', arguments: {} });
      assert.equal(elicited, 1);
      assert.match(JSON.stringify(elicitation.content), /Alice Example/);

      const metrics = await (await fetch(`${sidecar.origin}/metrics`)).text();
      assert.match(metrics, /mcp_requests_by_era_total\{server="everything",era="2026-07-28"\} [1-9]/);
      assert.match(metrics, /mcp_requests_by_era_total\{server="everything",era="2025"\} [1-9]/);
    });

    test('subscriptions/listen delivers the updates of a subscribed resource, tagged with the subscription', { timeout: 30_000 }, async (t) => {
      const modern = await modernClient();
      t.after(() => modern.close());
      const { resources } = await modern.listResources();
      const uri = resources[0].uri;
      const updated = new Promise<unknown>((resolve) => {
        modern.setNotificationHandler('notifications/resources/updated', (notification) => resolve(notification));
      });
      const subscription = await modern.listen({ resourceSubscriptions: [uri] });
      t.after(() => subscription.close());
      assert.deepEqual(subscription.honoredFilter.resourceSubscriptions, [uri]);
      await modern.callTool({ name: 'toggle-subscriber-updates', arguments: {} });
      const notification = await updated as { params: { uri: string; _meta?: Record<string, unknown> } };
      assert.equal(notification.params.uri, uri);
      await modern.callTool({ name: 'toggle-subscriber-updates', arguments: {} });
    });
  });
}

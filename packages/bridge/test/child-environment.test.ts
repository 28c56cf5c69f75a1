// What a child really sees: a minimal base plus its own `env` unless inheritEnv
// asks for everything. A secret planted in the bridge's environment stands for
// the IdP client secret or another server's API key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startBridge } from '../../../test/support/bridge-server.ts';

const envServer = new URL('../../../test/fixtures/env-server.ts', import.meta.url).pathname;

async function childEnvironment(inheritEnv: boolean): Promise<{ env: Record<string, string>; path?: string }> {
  const bridge = await startBridge({ command: process.execPath, args: [envServer], env: { ENV_PROBE_OWN: 'own-value' }, inheritEnv, warmSpares: 0 });
  const client = new Client({ name: 'env-test', version: '1.0.0' });
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(bridge.url)));
    const result = await client.callTool({ name: 'get-env', arguments: {} });
    return JSON.parse((result.content as Array<{ text: string }>)[0].text);
  } finally {
    await client.close();
    await bridge.close();
  }
}

test('a child gets the base and its own env, never the rest of the parent\'s environment; inheritEnv: true passes everything', async (t) => {
  process.env.ENV_PROBE_OTHER_SECRET = 'other-server-secret-4711';
  t.after(() => delete process.env.ENV_PROBE_OTHER_SECRET);

  const minimal = await childEnvironment(false);
  assert.deepEqual(minimal.env, { ENV_PROBE_OWN: 'own-value' });
  assert.equal(minimal.path, process.env.PATH, 'PATH is part of the base');

  const inherited = await childEnvironment(true);
  assert.deepEqual(inherited.env, { ENV_PROBE_OWN: 'own-value', ENV_PROBE_OTHER_SECRET: 'other-server-secret-4711' });
});

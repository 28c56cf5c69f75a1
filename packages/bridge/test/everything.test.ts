// The SDK client against @modelcontextprotocol/server-everything behind the bridge,
// over both wire formats: every MCP feature must cross the bridge intact.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateMessageRequestSchema, ElicitRequestSchema, ListRootsRequestSchema,
  LoggingMessageNotificationSchema, ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { startBridge, servers } from '../../../test/support/bridge-server.ts';
import type { RunningBridge } from '../../../test/support/bridge-server.ts';
import { connectClient } from '../../../test/support/mcp-clients.ts';
import type { WireFormat } from '../../../test/support/mcp-clients.ts';

const capabilities = { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } };

for (const wire of ['streamable-http', 'sse'] as WireFormat[]) {
  describe(`server-everything over ${wire}`, () => {
    let bridge: RunningBridge;
    before(async () => {
      bridge = await startBridge({ command: process.execPath, args: [servers.everything, 'stdio'] });
    });
    after(() => bridge.close());

    test('tools: list and call', async (t) => {
      const client = await connectClient(bridge.origin, wire);
      t.after(() => client.close());
      const { tools } = await client.listTools();
      assert.ok(tools.some((tool) => tool.name === 'echo'));
      const result = await client.callTool({ name: 'echo', arguments: { message: 'héllo bridge' } });
      assert.deepEqual(result.content, [{ type: 'text', text: 'Echo: héllo bridge' }]);
      const sum = await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 40 } });
      assert.match(JSON.stringify(sum.content), /42/);
    });

    test('resources: list, read, templates, subscribe and receive updates', async (t) => {
      const client = await connectClient(bridge.origin, wire);
      t.after(() => client.close());
      const { resources } = await client.listResources();
      assert.ok(resources.length > 0);
      const read = await client.readResource({ uri: resources[0].uri });
      assert.equal(read.contents[0].uri, resources[0].uri);
      const { resourceTemplates } = await client.listResourceTemplates();
      assert.ok(resourceTemplates.length > 0);
      const updated = new Promise<string>((resolve) => {
        client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => resolve(n.params.uri));
      });
      await client.subscribeResource({ uri: resources[0].uri });
      await client.callTool({ name: 'toggle-subscriber-updates', arguments: {} });
      assert.equal(await updated, resources[0].uri);
      await client.callTool({ name: 'toggle-subscriber-updates', arguments: {} });
    });

    test('prompts and completion', async (t) => {
      const client = await connectClient(bridge.origin, wire);
      t.after(() => client.close());
      const { prompts } = await client.listPrompts();
      assert.ok(prompts.some((prompt) => prompt.name === 'simple-prompt'));
      const prompt = await client.getPrompt({ name: 'args-prompt', arguments: { city: 'Lyon', state: 'Rhône' } });
      assert.match(JSON.stringify(prompt.messages), /Lyon/);
      const completion = await client.complete({
        ref: { type: 'ref/prompt', name: 'completable-prompt' },
        argument: { name: 'department', value: 'Eng' },
      });
      assert.deepEqual(completion.completion.values, ['Engineering']);
    });

    test('logging: setLevel and log notifications', async (t) => {
      const client = await connectClient(bridge.origin, wire);
      t.after(() => client.close());
      const messages: unknown[] = [];
      const received = new Promise<void>((resolve) => {
        client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
          messages.push(n.params);
          if (n.params.level === 'error' || messages.length >= 1) resolve();
        });
      });
      await client.setLoggingLevel('debug');
      await client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
      await received;
      assert.ok(messages.length >= 1);
      await client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
    });

    test('progress notifications reach the caller', async (t) => {
      const client = await connectClient(bridge.origin, wire);
      t.after(() => client.close());
      const progress: number[] = [];
      const result = await client.callTool(
        { name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } },
        undefined,
        { onprogress: (p) => progress.push(p.progress) },
      );
      // The SDK client handles notifications a microtask later than responses, so a last
      // progress notification that arrives in the same chunk as the result can be dropped
      // by the client itself; the ones before it must all arrive, in order.
      assert.deepEqual(progress.slice(0, 2), [1, 2]);
      assert.match(JSON.stringify(result.content), /completed/i);
    });

    test('cancellation: an aborted call ends at once and the session stays usable', async (t) => {
      const client = await connectClient(bridge.origin, wire);
      t.after(() => client.close());
      const controller = new AbortController();
      const call = client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 10, steps: 2 } }, undefined, { signal: controller.signal });
      setTimeout(() => controller.abort('user cancelled'), 200);
      const started = Date.now();
      await assert.rejects(call);
      assert.ok(Date.now() - started < 2_000);
      const echo = await client.callTool({ name: 'echo', arguments: { message: 'still here' } });
      assert.deepEqual(echo.content, [{ type: 'text', text: 'Echo: still here' }]);
    });

    test('server-to-client requests: sampling, elicitation and roots round trips', async (t) => {
      const client = await connectClient(bridge.origin, wire, capabilities);
      t.after(() => client.close());
      client.setRequestHandler(CreateMessageRequestSchema, async (request) => ({
        model: 'test-model', role: 'assistant',
        content: { type: 'text', text: `sampled: ${JSON.stringify(request.params.messages[0].content)}` },
      }));
      client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { color: 'blue', number: 7, email: 'a@example.com', name: 'Ada' } }));
      client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///tmp/project', name: 'project' }] }));

      const sampled = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'ping', maxTokens: 10 } });
      assert.match(JSON.stringify(sampled.content), /sampled: .*ping/);
      const elicited = await client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
      assert.match(JSON.stringify(elicited.content), /accept/);
      const roots = await client.callTool({ name: 'get-roots-list', arguments: {} });
      assert.match(JSON.stringify(roots.content), /file:\/\/\/tmp\/project/);
    });
  });
}

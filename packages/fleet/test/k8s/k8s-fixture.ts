// The fleet the k8s tests render (a 3-replica server, a shared one, a url server, a
// disabled one, secrets by ${VAR}), and how they read the output back.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { k8s } from '../../src/commands/k8s.ts';

// Values a leak would show: none of them may appear anywhere in the manifests.
export const SECRETS = {
  GOOGLE_CLIENT_ID: 'google-id-6f1c', GOOGLE_CLIENT_SECRET: 'google-secret-93ab', CONTEXT7_API_KEY: 'ctx7-key-51d0',
  NOTION_TOKEN: 'notion-token-e2c7', MCP_FLEET_REDIS_PASSWORD: 'redis-pass-0a9f',
  MCP_FLEET_REDIS_PASSWORD_CONTEXT7: 'redis-ctx7-77e1', MCP_FLEET_REDIS_PASSWORD_MEMORY: 'redis-mem-3b8d', MCP_FLEET_REDIS_PASSWORD_NOTION: 'redis-notion-c4f2',
};

export const FLEET = {
  fleet: {
    domain: 'mcp.example.com',
    auth: {
      providers: { google: { clientId: '${GOOGLE_CLIENT_ID}', clientSecret: '${GOOGLE_CLIENT_SECRET}' } },
      allow: { domains: ['example.com'] },
    },
    storage: { kind: 'redis', url: 'redis://127.0.0.1:6379' },
  },
  mcpServers: {
    context7: { command: 'npx', args: ['-y', '@upstash/context7-mcp'], env: { CONTEXT7_API_KEY: '${CONTEXT7_API_KEY}' }, replicas: 3 },
    memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'], isolation: 'shared', maxMemory: '1G' },
    notion: { url: 'http://notion.internal:9090/mcp', headers: { Authorization: 'Bearer ${NOTION_TOKEN:-}' } },
    old: { command: 'npx', args: ['old-server'], disabled: true },
  },
};

export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: any; data?: Record<string, string> };

export function configFile(raw: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-k8s-'));
  const file = join(dir, 'fleet.json');
  writeFileSync(file, JSON.stringify(raw, null, 2));
  return file;
}

export function manifestsFor(raw: unknown, options: Parameters<typeof k8s>[1] = {}): { text: string; objects: K8sObject[] } {
  const text = k8s(configFile(raw), options, SECRETS);
  // Kubernetes reads YAML 1.1 (where an unquoted yes is a boolean): parse it the same way.
  const objects = parseAllDocuments(text, { version: '1.1' }).map((document) => document.toJS() as K8sObject).filter(Boolean);
  return { text, objects };
}

export const find = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  assert.ok(found, `${kind} ${name} is emitted`);
  return found;
};
export const podSpec = (object: K8sObject) => object.spec.template.spec;
export const envNames = (object: K8sObject) => podSpec(object).containers[0].env.map((entry: { name: string }) => entry.name).sort();

/** Whether every label of `selector` is among `labels` (how a Kubernetes matchLabels selects). */
export function selects(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

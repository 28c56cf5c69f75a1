// `mcp-fleet k8s` flags as deploy/kubernetes.md names them, run as a user runs the command.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { hashPassword } from '@mcp-fleet/auth';
import { runFleetCli } from '../support/fleet-cli.ts';

type K8sObject = { kind: string; metadata: { name: string }; spec?: any };

const FLEET = {
  fleet: {
    domain: 'mcp.example.com',
    storage: { kind: 'redis', url: 'redis://127.0.0.1:6379' },
    auth: { providers: { password: { users: { a: { passwordHash: await hashPassword('x') } } } } },
  },
  mcpServers: {
    memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'], isolation: 'shared' },
    search: { command: 'npx', args: ['-y', 'search-server'], replicas: 2 },
  },
};

function configFile(raw: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-k8s-cli-'));
  const file = join(dir, 'fleet.json');
  writeFileSync(file, JSON.stringify(raw, null, 2));
  return file;
}

async function k8s(args: string[], raw: unknown = FLEET) {
  const result = await runFleetCli(['k8s', '--config', configFile(raw), ...args], {});
  const objects = result.code === 0
    ? parseAllDocuments(result.stdout, { version: '1.1' }).map((document) => document.toJS() as K8sObject).filter(Boolean)
    : [];
  return { ...result, objects };
}

const find = (objects: K8sObject[], kind: string, name: string) => objects.find((object) => object.kind === kind && object.metadata.name === name);
const claimSize = (set: K8sObject | undefined) => set?.spec.volumeClaimTemplates?.[0]?.spec.resources.requests.storage;

describe('mcp-fleet k8s flags (deploy/kubernetes.md)', () => {
  test('--create-namespace, --edge-replicas, --edge-storage-class and a repeated --volume reach the manifests', async () => {
    const plain = await k8s([]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.objects.filter((object) => object.kind === 'Namespace').length, 0, 'no Namespace unless asked');
    const asked = await k8s(['--namespace', 'mcp', '--create-namespace', '--edge-replicas', '3', '--edge-storage-class', 'nfs-client',
      '--volume', 'memory=2Gi', '--volume', 'search=500Mi']);
    assert.equal(asked.code, 0, asked.stderr);
    assert.ok(find(asked.objects, 'Namespace', 'mcp'), 'the Namespace is emitted');
    assert.equal(find(asked.objects, 'Deployment', 'caddy')?.spec.replicas, 3);
    assert.equal(find(asked.objects, 'PersistentVolumeClaim', 'caddy-certificates')?.spec.storageClassName, 'nfs-client');
    assert.equal(claimSize(find(asked.objects, 'StatefulSet', 'memory')), '2Gi');
    assert.equal(claimSize(find(asked.objects, 'StatefulSet', 'search')), '500Mi');
  });

  test('a server\'s "volume" key gives it a volume; --volume overrides it or adds one', async () => {
    const raw = structuredClone(FLEET) as any;
    raw.mcpServers.memory.volume = '1Gi';
    const fromConfig = await k8s([], raw);
    assert.equal(fromConfig.code, 0, fromConfig.stderr);
    assert.equal(claimSize(find(fromConfig.objects, 'StatefulSet', 'memory')), '1Gi');
    assert.equal(claimSize(find(fromConfig.objects, 'StatefulSet', 'search')), undefined);
    const overridden = await k8s(['--volume', 'memory=5Gi', '--volume', 'search=1Gi'], raw);
    assert.equal(overridden.code, 0, overridden.stderr);
    assert.equal(claimSize(find(overridden.objects, 'StatefulSet', 'memory')), '5Gi');
    assert.equal(claimSize(find(overridden.objects, 'StatefulSet', 'search')), '1Gi');
  });

  test('a bad flag value is a coded usage error, exit 2, no stack trace', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--edge-replicas', 'two'], /--edge-replicas must be a whole number of at least 2, not "two"/],
      [['--edge-replicas', '1'], /--edge-replicas must be a whole number of at least 2, not "1"/],
      [['--edge-storage-class', 'Fast_SSD'], /--edge-storage-class must be a StorageClass name/],
      [['--volume', 'memory'], /--volume must be NAME=SIZE like memory=2Gi .*not "memory"\n/],
      [['--volume', 'memory=lots'], /--volume must be NAME=SIZE like memory=2Gi .*not "memory=lots"/],
      [['--volume', 'memory=1Gi', '--volume', 'memory=2Gi'], /--volume names memory twice/],
      [['--create-namespace=yes'], /--create-namespace takes no value/],
    ];
    for (const [args, message] of cases) {
      const result = await k8s(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /FLEET_ERR_USAGE|usage: mcp-fleet/, args.join(' '));
      assert.match(result.stderr, message, args.join(' '));
      assert.doesNotMatch(result.stderr, /\n\s+at |unexpected error|TypeError|ERR_PARSE_ARGS/, args.join(' '));
    }
  });

  test('a --volume for a server the config does not run names the servers it does', async () => {
    const result = await k8s(['--volume', 'nope=1Gi']);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /"nope".*memory, search/);
  });
});

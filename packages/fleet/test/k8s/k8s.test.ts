import { linkImageSidecarBuild } from '../../src/sidecar-runtime.ts';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '@mcp-fleet/config';
import { runFleetCli } from '../../../../test/support/fleet-cli.ts';
import { caddyAdapt } from '../caddy/caddy-cli.ts';
import { k8s } from '../../src/commands/k8s.ts';
import { FleetError } from '../../src/errors.ts';
import { validateObject } from './k8s-models.ts';
import { FLEET, SECRETS, configFile, envNames, find, manifestsFor, podSpec, selects } from './k8s-fixture.ts';
import type { K8sObject } from './k8s-fixture.ts';
import { startManifestRedis } from './manifest-redis.ts';
import { freePort } from '../../../../test/support/free-port.ts';

const run = promisify(execFile);

describe('mcp-fleet k8s', () => {
  test('every object is valid against the Kubernetes API schemas, in one namespace', () => {
    const { objects } = manifestsFor(FLEET, { namespace: 'tools' });
    assert.ok(objects.length >= 20, `${objects.length} objects`);
    for (const object of objects) validateObject(object);
    for (const object of objects.filter((candidate) => candidate.kind !== 'Namespace')) assert.equal(object.metadata.namespace, 'tools', `${object.kind} ${object.metadata.name}`);
    assert.deepEqual(objects.filter((object) => object.kind === 'StatefulSet').map((object) => object.metadata.name), ['redis', 'context7', 'memory', 'notion'], 'disabled servers are left out');
  });

  test('kubectl reads the stream as the same objects (kubectl kustomize parses without a cluster)', async () => {
    const { text, objects } = manifestsFor(FLEET);
    const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-kustomize-'));
    writeFileSync(join(dir, 'fleet.yaml'), text);
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources:\n- fleet.yaml\n');
    const { stdout } = await run('kubectl', ['kustomize', dir]);
    const parsed = parseAllDocuments(stdout, { version: '1.1' }).map((document) => document.toJS() as K8sObject);
    const key = (object: K8sObject) => `${object.kind}/${object.metadata.name}`;
    assert.deepEqual(parsed.map(key).sort(), objects.map(key).sort());
  });

  test('no secret value appears; every ${VAR} is a reference to the Secret, and a pod gets only its own server\'s', () => {
    const { text, objects } = manifestsFor(FLEET);
    for (const [name, value] of Object.entries(SECRETS)) assert.ok(!text.includes(value), `the value of ${name} leaked`);
    assert.match(text, /create secret generic mcp-fleet-secrets/);
    const fleetLevel = ['GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET'];
    assert.deepEqual(envNames(find(objects, 'StatefulSet', 'context7')), ['CONTEXT7_API_KEY', ...fleetLevel, 'HOME', 'MCP_FLEET_CONFIG', 'MCP_FLEET_REDIS_PASSWORD_CONTEXT7'].sort());
    const redis = podSpec(find(objects, 'StatefulSet', 'redis')).containers[0];
    assert.deepEqual(redis.args.slice(-2), ['--requirepass', '$(MCP_FLEET_REDIS_PASSWORD)'], 'Redis demands the password from the Secret');
    assert.match(text, /--from-literal=MCP_FLEET_REDIS_PASSWORD="\$\(openssl rand -hex 24\)"/);
    assert.match(text, /--from-literal=MCP_FLEET_REDIS_PASSWORD_MEMORY="\$\(openssl rand -hex 24\)"/);
    assert.deepEqual(envNames(find(objects, 'StatefulSet', 'memory')), [...fleetLevel, 'HOME', 'MCP_FLEET_CONFIG', 'MCP_FLEET_REDIS_PASSWORD_MEMORY'].sort());
    const notionEnv = podSpec(find(objects, 'StatefulSet', 'notion')).containers[0].env;
    assert.deepEqual(notionEnv.find((entry: { name: string }) => entry.name === 'NOTION_TOKEN').valueFrom.secretKeyRef, { name: 'mcp-fleet-secrets', key: 'NOTION_TOKEN', optional: true });
    const memoryConfig = find(objects, 'ConfigMap', 'memory-config').data?.['fleet.json'] ?? '';
    assert.ok(!memoryConfig.includes('CONTEXT7_API_KEY') && !memoryConfig.includes('context7'), 'a pod\'s config holds no other server');
  });

  test('a server is a StatefulSet of its replicas behind a headless Service, probed on /health, non-root and read-only', () => {
    const { objects } = manifestsFor(FLEET);
    const set = find(objects, 'StatefulSet', 'context7');
    assert.equal(set.spec.replicas, 3);
    assert.equal(set.spec.serviceName, 'context7');
    const service = find(objects, 'Service', 'context7');
    assert.equal(service.spec.clusterIP, 'None');
    assert.ok(selects(service.spec.selector, set.spec.template.metadata.labels), 'the Service selects the StatefulSet\'s pods');
    assert.deepEqual(set.spec.selector.matchLabels, service.spec.selector);
    const [container] = podSpec(set).containers;
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) assert.deepEqual(container[probe].httpGet, { path: '/health', port: 'http' }, probe);
    assert.equal(container.ports[0].containerPort, 8001);
    // As pm2 runs a sidecar: the image's plain-JS build, under the same V8 flags.
    assert.match(container.args.join(' '), /exec node --max-semi-space-size=8 --expose-gc --max-old-space-size=\d+ --heap-growing-percent=100 --v8-pool-size=1 --no-concurrent-recompilation node_modules\/\.cache\/mcp-fleet\/sidecar\/packages\/sidecar\/src\/main\.js --config /);
    assert.match(container.args.join(' '), /--server context7 --replica "\$\{HOSTNAME##\*-\}" --port 8001 --peer-origin http:\/\/context7-\{replica\}\.context7\.mcp-fleet\.svc\.cluster\.local:8001$/);
    assert.deepEqual(container.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
    assert.equal(podSpec(set).securityContext.runAsNonRoot, true);
    assert.equal(podSpec(set).automountServiceAccountToken, false);
    assert.deepEqual(container.resources, { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } });
    assert.deepEqual(podSpec(find(objects, 'StatefulSet', 'memory')).containers[0].resources.limits, { memory: '1024Mi' });
    assert.equal(find(objects, 'PodDisruptionBudget', 'context7').spec.maxUnavailable, 1);
    const policy = find(objects, 'NetworkPolicy', 'context7');
    assert.deepEqual(policy.spec.ingress[0].from[0].podSelector.matchLabels['app.kubernetes.io/component'], 'edge');
  });

  test('a pod\'s config is valid on its own: that one server, its port, every interface, Redis in the cluster', () => {
    const { objects } = manifestsFor(FLEET, { namespace: 'tools' });
    const text = find(objects, 'ConfigMap', 'notion-config').data?.['fleet.json'] ?? '';
    const parsed = parseConfig(JSON.parse(text), { env: SECRETS, configFile: '/etc/mcp-fleet/fleet.json' });
    assert.deepEqual(parsed.problems, []);
    const [server] = parsed.config?.servers ?? [];
    assert.equal(parsed.config?.servers.length, 1);
    assert.equal(server.name, 'notion');
    assert.equal(server.port, 8003, 'the port the whole fleet gave it');
    assert.equal(server.host, '0.0.0.0');
    assert.deepEqual(parsed.config?.storage, { kind: 'redis', url: 'redis://mcp-fleet-notion:redis-notion-c4f2@redis.tools.svc.cluster.local:6379', keyPrefix: 'mcp-fleet:' });
    assert.equal(JSON.parse(text).fleet.storage.url, 'redis://mcp-fleet-notion:${MCP_FLEET_REDIS_PASSWORD_NOTION}@redis.tools.svc.cluster.local:6379', 'the pod reads its own Redis user\'s password from the Secret');
    assert.equal(server.publicUrl, 'https://notion.mcp.example.com');
  });

  test('an external Redis is used as written and no Redis is emitted', () => {
    const external = structuredClone(FLEET);
    external.fleet.storage = { kind: 'redis', url: 'rediss://redis.example.net:6380' };
    const { objects } = manifestsFor(external);
    assert.equal(objects.filter((object) => object.metadata.name === 'redis').length, 0);
    const config = JSON.parse(find(objects, 'ConfigMap', 'memory-config').data?.['fleet.json'] ?? '');
    assert.equal(config.fleet.storage.url, 'rediss://redis.example.net:6380');
  });

  test('a pod is its server\'s boundary: no bubblewrap sandbox inside it, whatever fleet.sandbox says', () => {
    const sandboxed = structuredClone(FLEET) as typeof FLEET & { fleet: { sandbox?: unknown } };
    sandboxed.fleet.sandbox = { network: 'any' };
    const { objects } = manifestsFor(sandboxed);
    const config = JSON.parse(find(objects, 'ConfigMap', 'memory-config').data?.['fleet.json'] ?? '');
    assert.equal(config.mcpServers.memory.sandbox, false);
    assert.equal(config.fleet.sandbox, undefined);
  });

  test('the edge: Caddy with the generated Caddyfile dialling each replica by its pod name; Caddy accepts it', async () => {
    const { objects } = manifestsFor(FLEET, { namespace: 'tools' });
    const caddyfile = find(objects, 'ConfigMap', 'caddy').data?.Caddyfile ?? '';
    const adapted = await caddyAdapt(caddyfile);
    const dials: string[] = JSON.stringify(adapted).match(/"dial":"[^"]+"/g) ?? [];
    assert.ok(dials.includes('"dial":"context7-0.context7.tools.svc.cluster.local:8001"'), dials.join(' '));
    const edge = find(objects, 'Deployment', 'caddy');
    assert.equal(podSpec(edge).securityContext.runAsNonRoot, true);
    assert.deepEqual(podSpec(edge).containers[0].securityContext.capabilities, { drop: ['ALL'], add: ['NET_BIND_SERVICE'] }, 'the caddy binary has a file capability the kernel must be allowed to grant');
    assert.equal(podSpec(edge).containers[0].livenessProbe.tcpSocket.port, 'http', 'port 80 exists in every TLS mode');
    assert.equal(find(objects, 'Service', 'caddy').spec.type, 'LoadBalancer');
  });

  test('on-demand TLS: the ask endpoint runs beside Caddy with a config of names only', () => {
    const onDemand = structuredClone(FLEET) as any;
    onDemand.fleet.tls = { mode: 'on_demand' };
    const { objects, text } = manifestsFor(onDemand);
    const containers = podSpec(find(objects, 'Deployment', 'caddy')).containers;
    assert.deepEqual(containers.map((container: { name: string }) => container.name), ['caddy', 'ask']);
    const edgeConfig = find(objects, 'ConfigMap', 'caddy').data?.['fleet.json'] ?? '';
    assert.ok(!edgeConfig.includes('${'), 'the edge config needs no secret');
    const parsed = parseConfig(JSON.parse(edgeConfig), { env: {} });
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual(parsed.config?.servers.filter((server) => !server.disabled).map((server) => server.name), ['context7', 'memory', 'notion']);
    assert.match(text, /ask http:\/\/127\.0\.0\.1:8000\/ask/);
  });

  test('a small maxMemory keeps the request within the limit (the API server refuses request > limit)', () => {
    const small = structuredClone(FLEET) as any;
    small.mcpServers.memory.maxMemory = '100M';
    const { objects } = manifestsFor(small);
    assert.deepEqual(podSpec(find(objects, 'StatefulSet', 'memory')).containers[0].resources, { requests: { cpu: '50m', memory: '100Mi' }, limits: { memory: '100Mi' } });
  });

  test('a changed config changes the pod template (so kubectl apply rolls the pods); an unchanged one does not', () => {
    const checksumOf = (raw: unknown, name: string, kind = 'StatefulSet') => find(manifestsFor(raw).objects, kind, name).spec.template.metadata.annotations['mcp-fleet/config-checksum'];
    const changed = structuredClone(FLEET) as any;
    changed.mcpServers.memory.args.push('--verbose');
    assert.equal(checksumOf(FLEET, 'memory'), checksumOf(structuredClone(FLEET), 'memory'));
    assert.notEqual(checksumOf(FLEET, 'memory'), checksumOf(changed, 'memory'));
    assert.equal(checksumOf(FLEET, 'context7'), checksumOf(changed, 'context7'), 'other servers keep rolling untouched');
    changed.mcpServers.extra = { command: 'npx', args: ['x'] };
    assert.notEqual(checksumOf(FLEET, 'caddy', 'Deployment'), checksumOf(changed, 'caddy', 'Deployment'), 'a new route restarts Caddy');
  });

  test('the Secret\'s values need not be on the operator\'s machine, except those written into the Caddyfile', () => {
    const text = k8s(configFile(FLEET), {}, {});
    assert.doesNotMatch(text, /set-in-the-cluster-secret/);
    const byVariable = structuredClone(FLEET) as any;
    byVariable.fleet.domain = '${MCP_DOMAIN}';
    assert.throws(() => k8s(configFile(byVariable), {}, {}), (error: FleetError) => error.code === 'FLEET_ERR_CONFIG_INVALID' && /fleet\.domain/.test(error.message) && /stand-in value: .*MCP_DOMAIN/.test(error.message));
    byVariable.fleet.publicUrl = 'https://{name}.${MCP_DOMAIN:-mcp.example.com}';
    byVariable.fleet.domain = 'mcp.example.com';
    byVariable.fleet.auth.providers.google.clientId = '${GOOGLE_CLIENT_ID}';
    assert.match(k8s(configFile(byVariable), {}, {}), /context7\.mcp\.example\.com/, 'a default is used as written');
    assert.match(k8s(configFile(byVariable), {}, { MCP_DOMAIN: 'tools.example.org' }), /context7\.tools\.example\.org/);
  });

  test('what cannot work is a coded error', () => {
    const dns = structuredClone(FLEET) as any;
    dns.fleet.tls = { mode: 'dns', dnsProvider: 'cloudflare' };
    assert.throws(() => manifestsFor(dns), (error: FleetError) => error.code === 'FLEET_ERR_K8S_CONFIG' && /fleet\.tls\.mode/.test(error.message));
    const withCwd = structuredClone(FLEET) as any;
    withCwd.mcpServers.memory.cwd = 'servers/memory';
    assert.throws(() => manifestsFor(withCwd), (error: FleetError) => error.code === 'FLEET_ERR_K8S_CONFIG' && /mcpServers\.memory\.cwd/.test(error.message));
    const noDomain = structuredClone(FLEET) as any;
    delete noDomain.fleet.domain;
    assert.throws(() => manifestsFor(noDomain), (error: FleetError) => error.code === 'FLEET_ERR_K8S_CONFIG' && /fleet\.domain/.test(error.message));
    assert.throws(() => manifestsFor(FLEET, { namespace: 'Not_A_Label' }), (error: FleetError) => error.code === 'FLEET_ERR_K8S_OPTION');
    assert.throws(() => manifestsFor(FLEET, { image: 'two words' }), (error: FleetError) => error.code === 'FLEET_ERR_K8S_OPTION');
  });

  test('a pod\'s command runs a real sidecar: replica from the pod name, on its containerPort, with its config and Secret env', async (t) => {
    const port = await freePort();
    const raw = structuredClone(FLEET) as any;
    raw.mcpServers.memory.replicas = 3;
    raw.mcpServers.memory.port = port;
    const { objects } = manifestsFor(raw);
    // Redis as the manifests run it: the sidecar signs in as its own server's ACL user.
    const redis = await startManifestRedis(objects, SECRETS);
    t.after(() => redis.stop());
    const [container] = podSpec(find(objects, 'StatefulSet', 'memory')).containers;
    assert.equal(container.ports[0].containerPort, port);
    // The pod's own fleet.json, with the cluster's addresses swapped for this machine's.
    const podJson = JSON.parse(find(objects, 'ConfigMap', 'memory-config').data?.['fleet.json'] ?? '');
    podJson.fleet.storage.url = podJson.fleet.storage.url.replace('redis.mcp-fleet.svc.cluster.local:6379', `127.0.0.1:${redis.port}`);
    podJson.fleet.host = '127.0.0.1';
    const dir = mkdtempSync(join(tmpdir(), 'mcp-fleet-pod-'));
    podJson.fleet.stateDir = join(dir, 'state');
    writeFileSync(join(dir, 'fleet.json'), JSON.stringify(podJson));
    const [shell, flag, command] = container.args;
    // The environment the kubelet gives it: the Secret's keys the container references, HOME, and the pod name.
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: dir, HOSTNAME: 'memory-2' };
    for (const entry of container.env) env[entry.name] = entry.value ?? SECRETS[entry.valueFrom.secretKeyRef.key as keyof typeof SECRETS];
    env.MCP_FLEET_CONFIG = join(dir, 'fleet.json');
    const repoRoot = new URL('../../../../', import.meta.url).pathname;
    // What deploy/Containerfile does when it builds the image: the plain-JS build at the path the pod runs.
    linkImageSidecarBuild(join(repoRoot, 'packages/sidecar/src/main.ts'), repoRoot);
    const child = spawn(shell, [flag, command.replace('/etc/mcp-fleet/fleet.json', join(dir, 'fleet.json'))], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    t.after(() => { child.kill('SIGKILL'); });
    let health: { replica?: string; server?: string } | undefined;
    for (let tries = 0; tries < 100 && !health && child.exitCode === null; tries += 1) {
      health = await fetch(`http://127.0.0.1:${port}/health`).then((response) => response.json() as Promise<{ replica?: string }>, () => undefined);
      if (!health) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(health, `the sidecar answered /health on its containerPort\n${output}`);
    assert.equal(health.replica, 'r2', 'the replica comes from the pod name\'s ordinal');
    for (const value of Object.values(SECRETS)) assert.ok(!output.includes(value), 'no secret in the pod\'s log');
  });

  test('the CLI prints the manifests with --namespace and --image', async () => {
    const result = await runFleetCli(['k8s', '--config', configFile(FLEET), '--namespace', 'team-a', '--image', 'registry.example.com/mcp-fleet:1.2'], SECRETS);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /namespace: team-a/);
    assert.match(result.stdout, /image: registry\.example\.com\/mcp-fleet:1\.2/);
    for (const value of Object.values(SECRETS)) assert.ok(!result.stdout.includes(value));
  });
});

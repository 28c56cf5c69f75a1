// Issue 21: what breaks in production, read from the generated manifests (and, for
// Redis's users, checked on a real redis-server started with the manifests' arguments).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { parseConfig } from '@mcp-fleet/config';
import { askPortFor } from '../../src/caddy/ask-server.ts';
import { FleetError } from '../../src/errors.ts';
import { FLEET, SECRETS, find, manifestsFor, podSpec, selects } from './k8s-fixture.ts';
import type { K8sObject } from './k8s-fixture.ts';
import { validateObject } from './k8s-models.ts';
import { startManifestRedis } from './manifest-redis.ts';

const LABEL_KEYS = ['name', 'instance', 'version', 'managed-by', 'part-of', 'component'].map((key) => `app.kubernetes.io/${key}`);
const ofKind = (objects: K8sObject[], kind: string) => objects.filter((object) => object.kind === kind);
const templateLabels = (object: K8sObject): Record<string, string> => object.spec.template.metadata.labels;
const isK8sError = (code: string, pattern: RegExp) => (error: FleetError) => error.code === code && pattern.test(error.message);

/** The pods an ingress rule admits to `target` (a workload), on `port`, from `source` (a workload). */
function admits(objects: K8sObject[], target: K8sObject, source: K8sObject, port: number): boolean {
  return ofKind(objects, 'NetworkPolicy')
    .filter((policy) => selects(policy.spec.podSelector.matchLabels, templateLabels(target)))
    .some((policy) => (policy.spec.ingress ?? []).some((rule: any) => (rule.ports ?? []).some((allowed: any) => allowed.port === port)
      && rule.from.some((peer: any) => peer.podSelector && selects(peer.podSelector.matchLabels, templateLabels(source)))));
}

describe('mcp-fleet k8s in production (issue 21)', () => {
  test('1. replicas reach each other: every --peer-origin host is a pod its server\'s NetworkPolicy admits on its port', () => {
    const { objects } = manifestsFor(FLEET);
    for (const set of ofKind(objects, 'StatefulSet').filter((object) => object.metadata.name !== 'redis')) {
      const command: string = podSpec(set).containers[0].args.join(' ');
      const template = /--peer-origin (\S+)/.exec(command)?.[1] ?? '';
      assert.ok(template.includes('{replica}'), `${set.metadata.name} names its peers`);
      for (let replica = 0; replica < set.spec.replicas; replica += 1) {
        const peer = new URL(template.replace('{replica}', String(replica)));
        // NAME-N.SERVICE.NS.svc.cluster.local is pod N of the StatefulSet whose serviceName is SERVICE.
        const [pod, service] = peer.hostname.split('.');
        const target = ofKind(objects, 'StatefulSet').find((candidate) => candidate.spec.serviceName === service);
        assert.ok(target && pod === `${target.metadata.name}-${replica}` && replica < target.spec.replicas, `${peer.hostname} is a pod`);
        assert.ok(admits(objects, target, set, Number(peer.port)), `${set.metadata.name}'s pods may call ${peer.host}`);
      }
      assert.ok(admits(objects, set, find(objects, 'Deployment', 'caddy'), Number(/--port (\d+)/.exec(command)?.[1])), 'the edge still reaches it');
    }
    const memory = find(objects, 'StatefulSet', 'memory');
    assert.ok(!admits(objects, memory, find(objects, 'StatefulSet', 'context7'), memory.spec.template.spec.containers[0].ports[0].containerPort), 'another server\'s pods do not');
  });

  test('2. the edge survives a config change and a drain: 2+ pods, rolled one ready pod at a time, a PDB, spread, certificates on shared storage', () => {
    const { objects } = manifestsFor(FLEET, { edgeStorageClass: 'nfs-client' });
    const edge = find(objects, 'Deployment', 'caddy');
    assert.ok(edge.spec.replicas >= 2, 'two or more Caddy pods');
    assert.deepEqual(edge.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    for (const object of objects) assert.notEqual(object.spec?.strategy?.type, 'Recreate', `${object.kind} ${object.metadata.name}`);
    const budget = find(objects, 'PodDisruptionBudget', 'caddy');
    assert.ok(selects(budget.spec.selector.matchLabels, templateLabels(edge)));
    assert.equal(budget.spec.minAvailable, 1);
    const [caddy] = podSpec(edge).containers;
    assert.ok(caddy.readinessProbe, 'a pod not yet listening gets no traffic, and the rollout waits for it');
    const pause = Number(caddy.lifecycle.preStop.exec.command[1]);
    assert.ok(pause > 0 && podSpec(edge).terminationGracePeriodSeconds > pause, 'a stopping pod serves until the load balancer stops sending to it');
    const spread = podSpec(edge).topologySpreadConstraints;
    assert.deepEqual(spread.map((constraint: any) => [constraint.topologyKey, constraint.whenUnsatisfiable, constraint.nodeTaintsPolicy]),
      [['kubernetes.io/hostname', 'DoNotSchedule', 'Honor'], ['topology.kubernetes.io/zone', 'ScheduleAnyway', 'Honor']]);
    assert.ok(spread.every((constraint: any) => selects(constraint.labelSelector.matchLabels, templateLabels(edge))));
    const data = podSpec(edge).volumes.find((volume: any) => volume.name === 'data');
    const claim = find(objects, 'PersistentVolumeClaim', data.persistentVolumeClaim.claimName);
    assert.deepEqual(claim.spec.accessModes, ['ReadWriteMany'], 'every Caddy pod mounts the same certificates');
    assert.equal(claim.spec.storageClassName, 'nfs-client');
    for (const claimObject of ofKind(objects, 'PersistentVolumeClaim')) assert.ok(!claimObject.spec.accessModes.includes('ReadWriteOnce'), 'no edge volume only one node can mount');
    const off = structuredClone(FLEET) as any;
    off.fleet.tls = { mode: 'off' };
    const plain = manifestsFor(off).objects;
    assert.equal(ofKind(plain, 'PersistentVolumeClaim').length, 0, 'with TLS off there are no certificates to keep');
    assert.throws(() => manifestsFor(FLEET, { edgeReplicas: 1 }), isK8sError('FLEET_ERR_K8S_OPTION', /at least 2/));
  });

  test('2. the edge binds 80 and 443 without relying on the runtime\'s capabilities: the unprivileged-port sysctl', () => {
    const { objects } = manifestsFor(FLEET);
    assert.deepEqual(podSpec(find(objects, 'Deployment', 'caddy')).securityContext.sysctls, [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }]);
  });

  test('3. a Redis URL naming a Service of the namespace is run in the cluster under that name', () => {
    for (const [url, name] of [['redis://redis:6379', 'redis'], ['redis://cache:6379', 'cache'], ['redis://cache.mcp-fleet.svc:6379', 'cache'], ['redis://kv.mcp-fleet.svc.cluster.local:6379', 'kv']]) {
      const raw = structuredClone(FLEET) as any;
      raw.fleet.storage = { kind: 'redis', url };
      const { objects, text } = manifestsFor(raw);
      assert.equal(find(objects, 'StatefulSet', name).spec.serviceName, name, url);
      find(objects, 'Service', name);
      const podUrl = JSON.parse(find(objects, 'ConfigMap', 'memory-config').data?.['fleet.json'] ?? '').fleet.storage.url;
      assert.match(podUrl, new RegExp(`@${name}\\.mcp-fleet\\.svc\\.cluster\\.local:6379$`), url);
      assert.match(text, new RegExp(`# Redis: the StatefulSet "${name}"`));
    }
    const clash = structuredClone(FLEET) as any;
    clash.fleet.storage = { kind: 'redis', url: 'redis://memory:6379' };
    assert.throws(() => manifestsFor(clash), isK8sError('FLEET_ERR_K8S_CONFIG', /mcpServers\.memory/));
    clash.fleet.storage = { kind: 'redis', url: 'redis://caddy:6379' };
    assert.throws(() => manifestsFor(clash), isK8sError('FLEET_ERR_K8S_CONFIG', /fleet\.storage\.url/));
  });

  test('3. an external Redis (or another namespace\'s) is printed in the header, without its credentials', () => {
    for (const [url, shown] of [['rediss://fleet:hunter2-secret@redis.example.net:6380', 'rediss://redis.example.net:6380'], ['redis://redis.shared.svc.cluster.local:6379', 'redis://redis.shared.svc.cluster.local:6379']]) {
      const raw = structuredClone(FLEET) as any;
      raw.fleet.storage = { kind: 'redis', url };
      const { objects, text } = manifestsFor(raw);
      assert.equal(ofKind(objects, 'StatefulSet').filter((object) => !Object.keys(raw.mcpServers).includes(object.metadata.name)).length, 0, 'no Redis is emitted');
      assert.ok(text.split('---')[0].includes(`# Redis: ${shown}, run by you`), text.split('---')[0]);
      assert.ok(!text.split('---')[0].includes('hunter2'), 'no password in the header');
    }
  });

  test('4. one Redis ACL user per server: its own keys and channels only; maxmemory with noeviction (a real redis-server)', async (t) => {
    const { objects, text } = manifestsFor(FLEET);
    for (const server of ['context7', 'memory', 'notion']) assert.match(text, new RegExp(`--from-literal=MCP_FLEET_REDIS_PASSWORD_${server.toUpperCase()}=`));
    const redis = await startManifestRedis(objects, SECRETS);
    t.after(() => redis.stop());
    const connect = (username: string, password: string) => {
      const client = new Redis({ host: '127.0.0.1', port: redis.port, username, password, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => { /* a refused sign-in is asserted on the command */ });
      t.after(() => client.disconnect());
      return client;
    };
    const memory = connect('mcp-fleet-memory', SECRETS.MCP_FLEET_REDIS_PASSWORD_MEMORY);
    const context7 = connect('mcp-fleet-context7', SECRETS.MCP_FLEET_REDIS_PASSWORD_CONTEXT7);
    await context7.set('mcp-fleet:context7:keys:signing', '{"keys":["private"]}');
    assert.equal(await memory.set('mcp-fleet:memory:keys:signing', 'mine'), 'OK');
    await assert.rejects(memory.get('mcp-fleet:context7:keys:signing'), /NOPERM/, 'another server\'s signing keys are out of reach');
    await assert.rejects(memory.publish('mcp-fleet:context7:revoked-grants', 'x'), /NOPERM/, 'and its channels');
    const subscriber = connect('mcp-fleet-memory', SECRETS.MCP_FLEET_REDIS_PASSWORD_MEMORY);
    assert.equal(await subscriber.subscribe('mcp-fleet:memory:keys:signing', 'mcp-fleet:memory:revoked-grants'), 2, 'its own channels, as the sidecar subscribes');
    const outsider = connect('mcp-fleet-memory', SECRETS.MCP_FLEET_REDIS_PASSWORD_MEMORY);
    await assert.rejects(outsider.subscribe('mcp-fleet:context7:keys:signing'), /NOPERM/);
    assert.equal(await memory.eval('return redis.call("GET", KEYS[1])', 1, 'mcp-fleet:memory:keys:signing'), 'mine', 'scripts on its own keys (the storage uses EVAL)');
    await assert.rejects(memory.eval('return redis.call("GET", KEYS[1])', 1, 'mcp-fleet:context7:keys:signing'), /NOPERM|No permissions/);
    for (const command of [['scan', '0'], ['keys', '*'], ['randomkey'], ['flushall'], ['config', 'get', '*'], ['acl', 'list']]) {
      await assert.rejects(memory.call(command[0], ...command.slice(1)), /NOPERM/, command.join(' '));
    }
    await assert.rejects(connect('mcp-fleet-memory', SECRETS.MCP_FLEET_REDIS_PASSWORD_CONTEXT7).ping(), /WRONGPASS/, 'a password opens its own user only');
    const admin = connect('default', SECRETS.MCP_FLEET_REDIS_PASSWORD);
    assert.deepEqual(await admin.config('GET', 'maxmemory-policy'), ['maxmemory-policy', 'noeviction']);
    assert.ok(Number((await admin.config('GET', 'maxmemory'))[1]) > 0, 'maxmemory is set');
  });

  test('5. headless Services publish not-ready addresses (a readiness flap keeps the replica\'s DNS name)', () => {
    const { objects } = manifestsFor(FLEET);
    const headless = ofKind(objects, 'Service').filter((service) => service.spec.clusterIP === 'None');
    assert.deepEqual(headless.map((service) => service.metadata.name), ['redis', 'context7', 'memory', 'notion']);
    for (const service of headless) assert.equal(service.spec.publishNotReadyAddresses, true, service.metadata.name);
  });

  test('6. replicas are spread over nodes when there is more than one; a single replica has no constraint', () => {
    const { objects } = manifestsFor(FLEET);
    const context7 = find(objects, 'StatefulSet', 'context7');
    const [byNode] = podSpec(context7).topologySpreadConstraints;
    assert.deepEqual([byNode.topologyKey, byNode.whenUnsatisfiable, byNode.maxSkew], ['kubernetes.io/hostname', 'DoNotSchedule', 1]);
    assert.ok(selects(byNode.labelSelector.matchLabels, templateLabels(context7)));
    assert.ok(!selects(byNode.labelSelector.matchLabels, templateLabels(find(objects, 'StatefulSet', 'memory'))), 'it counts this server\'s pods only');
    assert.equal(podSpec(find(objects, 'StatefulSet', 'memory')).topologySpreadConstraints, undefined);
  });

  test('the kubelet waits out the sidecar\'s whole stop: 2 × killTimeout + a margin', () => {
    const raw = structuredClone(FLEET) as any;
    raw.mcpServers.memory.killTimeout = '30s';
    const { objects } = manifestsFor(raw);
    assert.equal(podSpec(find(objects, 'StatefulSet', 'memory')).terminationGracePeriodSeconds, 70);
    assert.ok(podSpec(find(objects, 'StatefulSet', 'context7')).terminationGracePeriodSeconds >= 2 * 5 + 5);
  });

  test('a server named like the edge is refused (its objects would overwrite the edge\'s)', () => {
    const raw = structuredClone(FLEET) as any;
    raw.mcpServers.caddy = raw.mcpServers.memory;
    assert.throws(() => manifestsFor(raw), (error: FleetError) => /mcpServers\.caddy/.test(error.message));
  });

  test('on-demand TLS with a disabled server on basePort - 1: the ask endpoint listens where the Caddyfile asks', () => {
    const raw = structuredClone(FLEET) as any;
    raw.fleet.tls = { mode: 'on_demand' };
    raw.fleet.basePort = 8001;
    raw.mcpServers.old.port = 8000;
    const { objects } = manifestsFor(raw);
    const files = find(objects, 'ConfigMap', 'caddy').data ?? {};
    const asked = Number(/ask http:\/\/127\.0\.0\.1:(\d+)\/ask/.exec(files.Caddyfile ?? '')?.[1]);
    const parsed = parseConfig(JSON.parse(files['fleet.json'] ?? ''), { env: {} });
    assert.deepEqual(parsed.problems, []);
    assert.ok(parsed.config);
    assert.equal(askPortFor(parsed.config), asked, 'ask-main listens on askPortFor of its own config');
    assert.equal(asked, 7999);
  });

  test('--pod-cidr must be a CIDR', () => {
    for (const bad of ['not-a-cidr', '10.0.0.0', '10.0.0.0/33', '10.0.0.300/8', 'fd00::/129']) {
      assert.throws(() => manifestsFor(FLEET, { podCidr: bad }), isK8sError('FLEET_ERR_K8S_OPTION', /--pod-cidr/), bad);
    }
    for (const good of ['10.244.0.0/16', '192.168.0.0/16', 'fd00:10:244::/56']) assert.doesNotThrow(() => manifestsFor(FLEET, { podCidr: good }), good);
  });

  test('app.kubernetes.io labels in full on every object and pod; the edge\'s and Redis\'s selectors name their instance', () => {
    const { objects } = manifestsFor(FLEET, { image: 'registry.example.com/mcp-fleet:1.2' });
    for (const object of objects) {
      for (const key of LABEL_KEYS) assert.ok(object.metadata.labels?.[key], `${object.kind} ${object.metadata.name} has ${key}`);
      if (object.spec?.template) for (const key of LABEL_KEYS) assert.ok(templateLabels(object)[key], `${object.kind} ${object.metadata.name}'s pods have ${key}`);
    }
    assert.equal(find(objects, 'StatefulSet', 'memory').metadata.labels?.['app.kubernetes.io/version'], '1.2');
    assert.equal(find(objects, 'Deployment', 'caddy').spec.selector.matchLabels['app.kubernetes.io/instance'], 'caddy');
    assert.equal(find(objects, 'StatefulSet', 'redis').spec.selector.matchLabels['app.kubernetes.io/instance'], 'redis');
    for (const object of objects.filter((candidate) => candidate.spec?.selector?.matchLabels)) {
      assert.equal(object.spec.selector.matchLabels['app.kubernetes.io/version'], undefined, 'a selector holds no version (an upgrade would orphan the pods)');
    }
  });

  test('the Namespace object is opt-in (kubectl delete -f of the output must not delete a shared namespace)', () => {
    assert.equal(ofKind(manifestsFor(FLEET).objects, 'Namespace').length, 0);
    assert.match(manifestsFor(FLEET).text, /kubectl create namespace mcp-fleet/);
    const namespaces = ofKind(manifestsFor(FLEET, { createNamespace: true }).objects, 'Namespace');
    assert.deepEqual(namespaces.map((object) => object.metadata.name), ['mcp-fleet']);
  });

  test('every emptyDir has a sizeLimit', () => {
    const { objects } = manifestsFor(FLEET);
    for (const object of objects.filter((candidate) => candidate.spec?.template)) {
      for (const volume of podSpec(object).volumes ?? []) if (volume.emptyDir) assert.ok(volume.emptyDir.sizeLimit, `${object.metadata.name} ${volume.name}`);
    }
  });

  test('the schema check is strict: a field the API does not know is refused', () => {
    const { objects } = manifestsFor(FLEET);
    const service = structuredClone(find(objects, 'Service', 'memory'));
    service.spec.publishNotReadyAddress = true;
    assert.throws(() => validateObject(service), /publishNotReadyAddress/);
    const set = structuredClone(find(objects, 'StatefulSet', 'memory'));
    podSpec(set).containers[0].securityContext.readOnlyRootFileSystem = true;
    assert.throws(() => validateObject(set), /readOnlyRootFileSystem/);
    for (const object of manifestsFor(FLEET, { createNamespace: true }).objects) validateObject(object);
  });
});

describe('a server\'s own volume', () => {
  test('a stateful server can keep its data on a volume per replica; others keep emptyDirs', () => {
    const { objects } = manifestsFor(FLEET, { serverVolumes: { memory: '2Gi' } });
    const memory = find(objects, 'StatefulSet', 'memory');
    const [claim] = memory.spec.volumeClaimTemplates;
    assert.deepEqual([claim.metadata.name, claim.spec.accessModes, claim.spec.resources.requests.storage], ['data', ['ReadWriteOnce'], '2Gi']);
    assert.ok(podSpec(memory).containers[0].volumeMounts.some((mount: any) => mount.name === 'data' && mount.mountPath === '/var/lib/mcp-fleet/data'));
    validateObject(memory);
    assert.equal(find(objects, 'StatefulSet', 'context7').spec.volumeClaimTemplates, undefined);
    assert.throws(() => manifestsFor(FLEET, { serverVolumes: { nope: '1Gi' } }), isK8sError('FLEET_ERR_K8S_OPTION', /"nope"/));
    assert.throws(() => manifestsFor(FLEET, { serverVolumes: { memory: 'lots' } }), isK8sError('FLEET_ERR_K8S_OPTION', /1Gi/));
  });
});

describe('a server\'s "volume" key', () => {
  const withVolume = (block: Record<string, unknown>) => ({ ...FLEET, mcpServers: { ...FLEET.mcpServers, memory: { ...FLEET.mcpServers.memory, ...block } } });

  test('gives each replica a volume of that size, validated against the API schema; --volume wins over it', () => {
    const { objects } = manifestsFor(withVolume({ volume: '3Gi' }));
    const memory = find(objects, 'StatefulSet', 'memory');
    assert.equal(memory.spec.volumeClaimTemplates[0].spec.resources.requests.storage, '3Gi');
    validateObject(memory);
    const overridden = manifestsFor(withVolume({ volume: '3Gi' }), { serverVolumes: { memory: '8Gi' } });
    assert.equal(find(overridden.objects, 'StatefulSet', 'memory').spec.volumeClaimTemplates[0].spec.resources.requests.storage, '8Gi');
  });

  test('a bad size, or a volume on a url server, is an error at its JSON path', () => {
    const problems = (raw: unknown) => parseConfig(raw, { env: SECRETS }).problems.map((problem) => `${problem.path}: ${problem.message}`);
    assert.ok(problems(withVolume({ volume: '2G' })).some((line) => /^mcpServers\.memory\.volume: .*"500Mi" or "2Gi"/.test(line)), problems(withVolume({ volume: '2G' })).join('\n'));
    assert.ok(problems(withVolume({ volume: 2 })).some((line) => line.startsWith('mcpServers.memory.volume: ')));
    const onUrl = { ...FLEET, mcpServers: { ...FLEET.mcpServers, notion: { ...FLEET.mcpServers.notion, volume: '1Gi' } } };
    assert.ok(problems(onUrl).some((line) => /^mcpServers\.notion\.volume: expected no "volume" on a url server/.test(line)), problems(onUrl).join('\n'));
    assert.deepEqual(problems(withVolume({ volume: '500Mi' })), []);
  });
});

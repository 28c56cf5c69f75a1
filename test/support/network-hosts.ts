// Machines for tests that cross a real network, made of Linux network namespaces: each
// host is a namespace whose eth0 is plugged into one bridge, and the bridge lives in a
// namespace of its own (the "switch"), so no host owns the network. The test process
// joins the bridge with one more veth, on the first address, and so reaches every host by
// its address; nothing else of the machine's network is touched (198.18.0.0/15 is the
// range set aside for benchmark networks, RFC 2544). Needs root: `ip netns` (CI runs as root).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

const run = promisify(execFile);

async function ip(...args: string[]): Promise<string> {
  try {
    return (await run('ip', args)).stdout;
  } catch (error) {
    const failure = error as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(' ')} failed: ${failure.stderr?.trim() || failure.message}` +
      (process.getuid?.() === 0 ? '' : ' (network namespaces need root)'));
  }
}

export interface NetworkHost {
  readonly name: string;
  readonly namespace: string;
  readonly address: string;
  /** `ip netns exec NAMESPACE`: put in front of a command to run it on this host (its children stay there). */
  readonly commandPrefix: string[];
  /** Every process running on this host. */
  pids(): Promise<number[]>;
  /** kill -9 of every process on the host, as when its power goes; resolves once none is left. */
  killEverything(): Promise<number[]>;
}

export interface TestNetwork {
  /** The test process's own address on the network. */
  readonly testAddress: string;
  readonly hosts: Record<string, NetworkHost>;
  /** Kills what still runs on every host and removes every namespace and link. */
  destroy(): Promise<void>;
}

const PREFIX = 'mcpf';

/** Namespaces that a test process which no longer runs left behind (a crash, a kill -9). */
async function removeOrphans(): Promise<void> {
  const listed = await ip('netns', 'list');
  for (const line of listed.split('\n')) {
    const match = /^(mcpf(\d+)[a-z]+)\b/.exec(line);
    if (!match) continue;
    try {
      process.kill(Number(match[2]), 0);
    } catch {
      await killAllIn(match[1]);
      await ip('netns', 'delete', match[1]).catch(() => undefined);
    }
  }
}

async function pidsIn(namespace: string): Promise<number[]> {
  const listed = await ip('netns', 'pids', namespace).catch(() => '');
  return listed.split('\n').filter(Boolean).map(Number);
}

async function killAllIn(namespace: string): Promise<number[]> {
  const killed = new Set<number>();
  // A supervisor may fork between the listing and the kill: sweep until nothing is left.
  for (let sweep = 0; sweep < 50; sweep += 1) {
    const pids = await pidsIn(namespace);
    if (pids.length === 0) return [...killed];
    for (const pid of pids) {
      killed.add(pid);
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    await sleep(50);
  }
  throw new Error(`processes keep running in ${namespace}: ${(await pidsIn(namespace)).join(' ')}`);
}

/** A network of `hostNames` (at most 200), each host with its own namespace and address. */
export async function createTestNetwork(hostNames: string[]): Promise<TestNetwork> {
  await removeOrphans();
  const tag = `${PREFIX}${process.pid}`;
  // The third octet from the pid: two test processes at once get two networks.
  const subnet = `198.18.${10 + (process.pid % 200)}`;
  const switchNamespace = `${tag}s`;
  const testLink = `${tag}t`;
  const created: string[] = [];
  const hosts: Record<string, NetworkHost> = {};
  const destroy = async () => {
    for (const namespace of created) await killAllIn(namespace);
    await ip('link', 'delete', testLink).catch(() => undefined);
    for (const namespace of created) await ip('netns', 'delete', namespace).catch(() => undefined);
  };
  try {
    await ip('netns', 'add', switchNamespace);
    created.push(switchNamespace);
    await ip('-n', switchNamespace, 'link', 'add', 'br0', 'type', 'bridge');
    await ip('-n', switchNamespace, 'link', 'set', 'br0', 'up');

    await ip('link', 'add', testLink, 'type', 'veth', 'peer', 'name', 'test', 'netns', switchNamespace);
    await ip('-n', switchNamespace, 'link', 'set', 'test', 'master', 'br0', 'up');
    await ip('addr', 'add', `${subnet}.1/24`, 'dev', testLink);
    await ip('link', 'set', testLink, 'up');

    for (const [index, name] of hostNames.entries()) {
      if (!/^[a-z]+$/.test(name)) throw new Error(`host name "${name}": lowercase letters only (it is part of a namespace name)`);
      const namespace = `${tag}${name}`;
      const address = `${subnet}.${index + 2}`;
      await ip('netns', 'add', namespace);
      created.push(namespace);
      await ip('link', 'add', 'eth0', 'netns', namespace, 'type', 'veth', 'peer', 'name', `port-${name}`, 'netns', switchNamespace);
      await ip('-n', switchNamespace, 'link', 'set', `port-${name}`, 'master', 'br0', 'up');
      await ip('-n', namespace, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
      await ip('-n', namespace, 'link', 'set', 'eth0', 'up');
      await ip('-n', namespace, 'link', 'set', 'lo', 'up');
      const commandPrefix = ['ip', 'netns', 'exec', namespace];
      hosts[name] = {
        name, namespace, address, commandPrefix,
        pids: () => pidsIn(namespace),
        killEverything: () => killAllIn(namespace),
      };
    }
  } catch (error) {
    await destroy();
    throw error;
  }
  return { testAddress: `${subnet}.1`, hosts, destroy };
}

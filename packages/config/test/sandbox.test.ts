import assert from "node:assert/strict";
import { test } from "node:test";
import { configWarnings, parseConfig } from "../src/index.ts";

const configFile = "/srv/fleet/fleet.json";
const parse = (raw: object) => parseConfig(raw, { configFile, env: {} });
const command = (extra: object = {}) => ({ command: "node", args: ["server.js"], ...extra });
const codes = (raw: object) => parse(raw).problems.map((problem) => [problem.path, problem.code]);

test("every command server is sandboxed by default: network any, its home under stateDir, the config file and stateDir hidden", () => {
  const { config } = parse({ mcpServers: { a: command(), web: { url: "https://example.com/mcp" } } });
  assert.ok(config);
  assert.deepEqual(config.sandbox, { network: "any", read: [], write: [] });
  assert.deepEqual(config.servers[0].sandbox, {
    network: "any", read: [], write: [], home: "/srv/fleet/state/homes/a", stateDir: "/srv/fleet/state", configFile,
  });
  assert.equal(config.servers[1].sandbox, false, "a url server is no child");
  assert.deepEqual(configWarnings(config), []);
});

test("fleet.sandbox gives the defaults, a server's keys replace them, paths resolve against the config's directory", () => {
  const { config, problems } = parse({
    fleet: { sandbox: { network: [], read: ["./shared"] } },
    mcpServers: { a: command(), b: command({ sandbox: { network: "any", write: ["/data/b"] } }) },
  });
  assert.deepEqual(problems, []);
  const [a, b] = config!.servers;
  assert.ok(a.sandbox && b.sandbox);
  assert.deepEqual([a.sandbox.network, a.sandbox.read, a.sandbox.write], [[], ["/srv/fleet/shared"], []]);
  assert.deepEqual([b.sandbox.network, b.sandbox.read, b.sandbox.write], ["any", ["/srv/fleet/shared"], ["/data/b"]]);
});

test('"sandbox": false opts a server out and validate warns with FLEET_WARN_NO_SANDBOX; fleet.sandbox false opts out every server that sets none', () => {
  const one = parse({ mcpServers: { a: command({ sandbox: false }), b: command() } }).config!;
  assert.equal(one.servers[0].sandbox, false);
  assert.notEqual(one.servers[1].sandbox, false);
  assert.deepEqual(configWarnings(one).map((warning) => [warning.path, warning.code]), [["mcpServers.a.sandbox", "FLEET_WARN_NO_SANDBOX"]]);
  assert.match(configWarnings(one)[0].message, /signing keys.*pm2's socket/);
  const all = parse({ fleet: { sandbox: false }, mcpServers: { a: command(), b: command({ sandbox: { network: [] } }) } }).config!;
  assert.equal(all.servers[0].sandbox, false);
  assert.deepEqual(all.servers[1].sandbox && all.servers[1].sandbox.network, []);
});

test("a domain allow-list is refused with its own code, not run as if it were enforced", () => {
  const { problems } = parse({ mcpServers: { a: command({ sandbox: { network: ["api.github.com"] } }) } });
  assert.deepEqual(problems.map((problem) => [problem.path, problem.code]), [["mcpServers.a.sandbox.network", "FLEET_ERR_CONFIG_SANDBOX_NETWORK"]]);
  assert.match(problems[0].message, /not enforced yet: expected "any" .* or \[\]/);
});

test("bad sandbox values: each with its path", () => {
  assert.deepEqual(codes({ mcpServers: { a: command({ sandbox: true }) } }), [["mcpServers.a.sandbox", "FLEET_ERR_CONFIG_BAD_VALUE"]]);
  assert.deepEqual(codes({ mcpServers: { a: command({ sandbox: { network: "all" } }) } }), [["mcpServers.a.sandbox.network", "FLEET_ERR_CONFIG_BAD_VALUE"]]);
  assert.deepEqual(codes({ mcpServers: { a: command({ sandbox: { read: "/x" } }) } }), [["mcpServers.a.sandbox.read", "FLEET_ERR_CONFIG_BAD_VALUE"]]);
  assert.deepEqual(codes({ mcpServers: { a: command({ sandbox: { reed: [] } }) } }), [["mcpServers.a.sandbox.reed", "FLEET_ERR_CONFIG_UNKNOWN_KEY"]]);
  assert.deepEqual(codes({ mcpServers: { web: { url: "https://example.com/mcp", sandbox: false } } }), [["mcpServers.web.sandbox", "FLEET_ERR_CONFIG_SERVER_KIND"]]);
});

test("read/write paths that would show stateDir's secrets are refused; a plain directory inside stateDir is not", () => {
  const raw = (paths: object) => ({ fleet: { stateDir: "/var/lib/fleet" }, mcpServers: { a: command({ sandbox: paths }), b: command() } });
  assert.deepEqual(codes(raw({ read: ["/var/lib"] })), [["mcpServers.a.sandbox.read[0]", "FLEET_ERR_CONFIG_SANDBOX_PATH"]]);
  assert.deepEqual(codes(raw({ write: ["/var/lib/fleet"] })), [["mcpServers.a.sandbox.write[0]", "FLEET_ERR_CONFIG_SANDBOX_PATH"]]);
  for (const inside of ["b", "pm2", "logs", "homes/b"]) {
    assert.deepEqual(codes(raw({ read: [`/var/lib/fleet/${inside}`] })), [["mcpServers.a.sandbox.read[0]", "FLEET_ERR_CONFIG_SANDBOX_PATH"]], inside);
  }
  assert.deepEqual(codes(raw({ write: ["/var/lib/fleet/files-sandbox", "/srv/data"] })), []);
  const fleetWide = parse({ fleet: { stateDir: "/var/lib/fleet", sandbox: { read: ["/"] } }, mcpServers: { a: command(), b: command() } });
  assert.deepEqual(fleetWide.problems.map((problem) => [problem.path, problem.code]), [["fleet.sandbox.read[0]", "FLEET_ERR_CONFIG_SANDBOX_PATH"]], "reported once, where written");
});

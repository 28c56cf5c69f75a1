import assert from "node:assert/strict";
import { test } from "node:test";
import { defaults, parseConfig } from "../src/index.ts";
import { fullConfig, fullEnv, minimalConfig } from "./full-config.ts";

const configFile = "/etc/mcp-fleet/fleet.json";

test("the DESIGN.md example, made valid, normalizes to a typed config", () => {
  const { config, problems } = parseConfig(fullConfig(), { configFile, env: fullEnv });
  assert.deepEqual(problems, []);
  assert.ok(config);
  assert.equal(config.configFile, configFile);
  assert.equal(config.configDir, "/etc/mcp-fleet");
  assert.equal(config.stateDir, "/etc/mcp-fleet/state");
  assert.equal(config.domain, "mcp.example.com");
  assert.equal(config.publicUrlTemplate, "https://{name}.mcp.example.com");
  assert.deepEqual(config.auth.allow, {
    emails: ["alice@example.com", "bob@example.org"],
    domains: ["example.com"],
    githubOrgs: [],
    anyone: false,
  });
  assert.equal(config.auth.providers.google?.clientSecret, "google-very-secret");
  assert.equal(config.auth.providers.oidc?.emailClaim, "email");
  assert.equal(config.auth.accessTokenTtlMs, 3_600_000);
  assert.equal(config.auth.refreshTokenTtlMs, 30 * 86_400_000);
  assert.deepEqual(config.storage, { kind: "sqlite" });
  assert.deepEqual(config.tls, { mode: "on_demand" });

  const [context7, memory, notion] = config.servers;
  assert.deepEqual(
    config.servers.map((s) => [s.name, s.index, s.kind, s.port, s.publicUrl]),
    [
      ["context7", 0, "stdio", 8001, "https://context7.mcp.example.com"],
      ["memory", 1, "stdio", 8002, "https://memory.mcp.example.com"],
      ["notion", 2, "http", 8003, "https://notion.mcp.example.com"],
    ],
  );
  assert.deepEqual(context7.env, { CONTEXT7_API_KEY: "ctx7-key-123" });
  assert.equal(context7.isolation, "session");
  assert.equal(memory.isolation, "shared");
  assert.equal(notion.url, "http://127.0.0.1:9090/mcp");
  assert.equal(notion.transport, "streamable-http");
  assert.deepEqual(notion.headers, { Authorization: "Bearer ntn_secret_456" });
  assert.deepEqual(notion.allow, config.auth.allow);
});

test("a minimal config gets every default", () => {
  const { config, problems } = parseConfig(minimalConfig(), { configFile, env: {} });
  assert.deepEqual(problems, []);
  assert.ok(config);
  assert.equal(config.host, defaults.fleet.host);
  assert.equal(config.basePort, 8001);
  assert.deepEqual(config.trustedProxies, ["127.0.0.1/8", "::1/128"]);
  assert.equal(config.publicUrlTemplate, "http://127.0.0.1:{port}");
  assert.equal(config.logLevel, "info");
  assert.deepEqual(config.metrics, { public: false });
  assert.deepEqual(config.auth.providers, {});
  assert.deepEqual(config.servers[0], {
    name: "alpha", index: 0, kind: "stdio", transport: "stdio", command: "node", args: ["server.js"],
    env: {}, inheritEnv: false, headers: {}, port: 8001, host: "127.0.0.1",
    publicUrl: "http://127.0.0.1:8001", isolation: "session", replicas: 1, hosts: [], warmSpares: "auto", warmSpareThresholdMs: 500, maxSessions: 100,
    maxSessionsPerUser: 10, sessionIdleTimeoutMs: 30 * 60_000, requestTimeoutMs: 5 * 60_000, killTimeoutMs: 5_000, maxBodyBytes: 4 * 1024 * 1024,
    allow: { emails: [], domains: [], githubOrgs: [], anyone: false }, forwardIdentity: false,
    maxMemory: "512M", allowedOrigins: [], disabled: false, cacheTtlMs: 60_000, cacheScope: "private",
    sandbox: {
      network: "any", read: [], write: [], home: "/etc/mcp-fleet/state/homes/alpha", stateDir: "/etc/mcp-fleet/state", configFile,
    },
  });
});

test("per-server values override defaults; allow overrides per key; cwd resolves", () => {
  const fleet = { auth: { allow: { emails: ["a@example.com"], domains: ["example.com"] } } };
  const server = {
    port: 9100, cwd: "srv", warmSpares: 0, maxSessions: 5, sessionIdleTimeout: 60_000, killTimeout: "250ms",
    maxBodyBytes: 1024, forwardIdentity: true, maxMemory: "1G", allowedOrigins: ["https://app.example.com"],
    description: "alpha server", disabled: true, allow: { domains: ["other.org"] }, type: "stdio",
  };
  const { config } = parseConfig(minimalConfig(fleet, server), { configFile, env: {} });
  assert.ok(config);
  const [alpha] = config.servers;
  assert.equal(alpha.port, 9100);
  assert.equal(alpha.cwd, "/etc/mcp-fleet/srv");
  assert.equal(alpha.sessionIdleTimeoutMs, 60_000);
  assert.equal(alpha.killTimeoutMs, 250);
  // maxSessions 5 lowers the default per-user share (10) to 5.
  assert.equal(alpha.maxSessionsPerUser, 5);
  assert.deepEqual(alpha.allow, { emails: ["a@example.com"], domains: ["other.org"], githubOrgs: [], anyone: false });
  assert.deepEqual([alpha.maxMemory, alpha.disabled, alpha.description], ["1G", true, "alpha server"]);
});

test("the result is deeply frozen", () => {
  const { config } = parseConfig(fullConfig(), { configFile, env: fullEnv });
  assert.ok(config);
  for (const value of [config, config.servers, config.servers[0], config.servers[0].args, config.auth.allow.emails]) {
    assert.ok(Object.isFrozen(value));
  }
  assert.throws(() => {
    (config.servers[0].args as string[]).push("--evil");
  }, TypeError);
  assert.ok(Object.isFrozen(defaults.server));
});

test("an unknown key is a problem with a did-you-mean suggestion", () => {
  const { config, problems } = parseConfig(minimalConfig({ hst: "0.0.0.0" }, { comand: "x" }), { env: {} });
  assert.equal(config, undefined);
  const byPath = Object.fromEntries(problems.map((p) => [p.path, p]));
  assert.equal(byPath["fleet.hst"].message, 'unknown key "hst"; did you mean "host"?');
  assert.equal(byPath["fleet.hst"].code, "FLEET_ERR_CONFIG_UNKNOWN_KEY");
  assert.match(byPath["mcpServers.alpha.comand"].message, /did you mean "command"\?/);
  const far = parseConfig(minimalConfig({ zzzzzz: 1 }), { env: {} });
  assert.match(far.problems[0].message, /^unknown key "zzzzzz"; expected one of: domain, publicUrl, host/);
});

test("all problems are reported at once, each at its JSON path", () => {
  const raw = {
    fleet: { basePort: "8001", logLevel: "loud", tls: { mode: "manual" }, trustedProxies: ["10.0.0.0/33"] },
    mcpServers: {
      memory: { command: "npx", isolation: "shard" },
      notion: { url: "ftp://example.com", isolation: "shared" },
      Bad_Name: { command: "x", url: "http://x" },
      empty: {},
    },
  };
  const { config, problems } = parseConfig(raw, { env: {} });
  assert.equal(config, undefined);
  assert.deepEqual(problems.map((p) => p.path), [
    "fleet.basePort",
    "fleet.trustedProxies[0]",
    "fleet.tls.mode",
    "fleet.logLevel",
    "mcpServers.memory.isolation",
    "mcpServers.notion.isolation",
    "mcpServers.notion.url",
    "mcpServers.Bad_Name",
    "mcpServers.Bad_Name",
    "mcpServers.empty",
  ]);
  const messages = problems.map((p) => `${p.path}: ${p.message}`);
  assert.ok(messages.includes('mcpServers.memory.isolation: expected "session" or "shared", got "shard"'));
  assert.ok(messages.includes('fleet.basePort: expected an integer from 1 to 65535, got "8001"'));
  assert.ok(messages.includes('mcpServers.notion.url: expected an http or https URL, got "ftp://example.com"'));
  assert.ok(messages.includes('mcpServers.Bad_Name: expected exactly one of "command" or "url", got both'));
  assert.ok(messages.includes('mcpServers.empty: expected exactly one of "command" or "url", got neither'));
});

test("server names must be DNS labels", () => {
  const { problems } = parseConfig({ mcpServers: { "-bad": { command: "x" }, ["a".repeat(64)]: { command: "x" } } }, { env: {} });
  assert.deepEqual(problems.map((p) => p.code), ["FLEET_ERR_CONFIG_SERVER_NAME", "FLEET_ERR_CONFIG_SERVER_NAME"]);
  assert.match(problems[0].message, /DNS label.*server names become hostnames.*got "-bad"$/);
});

test("mcpServers is required and must not be empty", () => {
  assert.deepEqual(parseConfig({ fleet: {} }, { env: {} }).problems.map((p) => [p.path, p.code]), [
    ["mcpServers", "FLEET_ERR_CONFIG_NO_SERVERS"],
  ]);
  assert.match(parseConfig({ mcpServers: {} }, { env: {} }).problems[0].message, /at least one server/);
  assert.deepEqual(parseConfig([], { env: {} }).problems.map((p) => [p.path, p.message]), [
    ["", "expected an object, got an empty array"],
  ]);
});

test("type must agree with command or url, and kind-specific keys stay with their kind", () => {
  const raw = {
    mcpServers: {
      a: { type: "sse", command: "x", headers: { A: "b" } },
      b: { type: "stdio", url: "http://127.0.0.1:1/mcp", env: { A: "b" } },
      c: { type: "sse", url: "http://127.0.0.1:2/sse" },
    },
  };
  const { problems } = parseConfig(raw, { env: {} });
  assert.deepEqual(problems.map((p) => `${p.path}: ${p.message}`), [
    'mcpServers.a.type: expected "stdio" for a command server, got "sse"',
    'mcpServers.a.headers: expected no "headers" on a command server (it is for url servers), got an object',
    'mcpServers.b.type: expected "http", "streamable-http" or "sse" for a url server, got "stdio"',
    'mcpServers.b.env: expected no "env" on a url server (it is for command servers), got an object',
  ]);
  const sse = parseConfig({ mcpServers: { c: raw.mcpServers.c } }, { env: {} });
  assert.equal(sse.config?.servers[0].transport, "sse");
});

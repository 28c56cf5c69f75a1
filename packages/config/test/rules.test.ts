import assert from "node:assert/strict";
import { test } from "node:test";
import { parseConfig } from "../src/index.ts";
import { minimalConfig } from "./full-config.ts";

const parse = (raw: unknown) => parseConfig(raw, { env: {} });
const lines = (raw: unknown) => parse(raw).problems.map((p) => `${p.path}: ${p.message}`);
const codes = (raw: unknown) => parse(raw).problems.map((p) => [p.path, p.code]);
const google = { clientId: "id", clientSecret: "secret" };

test("two servers on the same explicit port: the problem names both", () => {
  const raw = { mcpServers: { a: { command: "x", port: 9000 }, b: { command: "y", port: 9000 } } };
  assert.deepEqual(lines(raw), ['mcpServers.b.port: port 9000 is already used by server "a"; expected a port of its own']);
  assert.deepEqual(codes(raw), [["mcpServers.b.port", "FLEET_ERR_CONFIG_PORT_CONFLICT"]]);
});

test("an explicit port colliding with a derived one names both and says how it was derived", () => {
  const raw = { mcpServers: { a: { command: "x" }, b: { command: "y", port: 8001 } } };
  assert.deepEqual(lines(raw), [
    'mcpServers.b.port: port 8001 is already used by server "a" (fleet.basePort 8001 + index 0); expected a port of its own',
  ]);
});

test("a port outside 1..65535 is a problem, explicit or derived", () => {
  assert.deepEqual(codes({ mcpServers: { a: { command: "x", port: 70000 } } }), [["mcpServers.a.port", "FLEET_ERR_CONFIG_PORT_RANGE"]]);
  assert.deepEqual(codes({ mcpServers: { a: { command: "x", port: 0 } } }), [["mcpServers.a.port", "FLEET_ERR_CONFIG_PORT_RANGE"]]);
  const derived = { fleet: { basePort: 65535 }, mcpServers: { a: { command: "x" }, b: { command: "y" } } };
  assert.deepEqual(lines(derived), ["mcpServers.b.port: expected a port from 1 to 65535, got 65536 (fleet.basePort 65535 + index 1)"]);
  assert.deepEqual(codes({ fleet: { basePort: 0 }, mcpServers: { a: { command: "x" } } }), [["fleet.basePort", "FLEET_ERR_CONFIG_BAD_VALUE"]]);
});

test("an upstream provider with an empty fleet allow-list is a problem", () => {
  const message =
    "fleet.auth.allow: an empty allow-list does not mean everyone: list emails/domains/githubOrgs or set allow.anyone: true (google is configured)";
  assert.deepEqual(lines(minimalConfig({ auth: { providers: { google } } })), [message]);
  const oidc = { issuer: "https://idp.example.com", clientId: "c" };
  const both = lines(minimalConfig({ auth: { providers: { github: google, oidc }, allow: { emails: [], domains: [] } } }));
  assert.match(both[0], /^fleet\.auth\.allow: an empty allow-list does not mean everyone.*\(github, oidc are configured\)$/);
});

test("an allow-list emptied only by broken entries is not reported twice", () => {
  const fleet = { auth: { providers: { google }, allow: { emails: ["${MCP_ALLOWED_USERS}"] } } };
  assert.deepEqual(lines(minimalConfig(fleet)), ["fleet.auth.allow.emails[0]: environment variable MCP_ALLOWED_USERS is not set"]);
});

test("allow.anyone: true, or any entry, satisfies the rule", () => {
  assert.deepEqual(lines(minimalConfig({ auth: { providers: { google }, allow: { anyone: true } } })), []);
  assert.deepEqual(lines(minimalConfig({ auth: { providers: { google }, allow: { domains: ["example.com"] } } })), []);
});

test("a server's allow, merged per key over the fleet's, must not be empty either", () => {
  const fleet = { auth: { providers: { google }, allow: { emails: ["a@example.com"] } } };
  assert.deepEqual(codes(minimalConfig(fleet, { allow: { emails: [] } })), [["mcpServers.alpha.allow", "FLEET_ERR_CONFIG_EMPTY_ALLOW"]]);
  assert.deepEqual(lines(minimalConfig(fleet, { allow: { domains: [] } })), [], "emails still come from the fleet");
  const emptyFleet = { auth: { providers: { google } } };
  assert.deepEqual(lines(minimalConfig(emptyFleet, { allow: { anyone: true } })), [], "the empty fleet list is not used");
});

test("a password-only fleet with an empty allow-list lets its listed users in: not a problem", () => {
  const fleet = { auth: { providers: { password: { users: { alice: { passwordHash: "scrypt$abc" } } } } } };
  assert.deepEqual(lines(minimalConfig(fleet)), []);
});

test("githubOrgs without a github provider is a problem, fleet-wide or per server", () => {
  const fleet = { auth: { providers: { google }, allow: { githubOrgs: ["acme:platform"] } } };
  assert.deepEqual(lines(minimalConfig(fleet, { allow: { githubOrgs: ["acme"] } })), [
    "fleet.auth.allow.githubOrgs: expected a github provider in fleet.auth.providers when githubOrgs is set, got none",
    "mcpServers.alpha.allow.githubOrgs: expected a github provider in fleet.auth.providers when githubOrgs is set, got none",
  ]);
  const withGithub = { auth: { providers: { github: google }, allow: { githubOrgs: ["acme:platform"] } } };
  assert.deepEqual(lines(minimalConfig(withGithub)), []);
  assert.deepEqual(codes(minimalConfig({ auth: { providers: { github: google }, allow: { githubOrgs: ["a:b:c"] } } })), [
    ["fleet.auth.allow.githubOrgs[0]", "FLEET_ERR_CONFIG_BAD_VALUE"],
  ]);
});

test('tls.mode "dns" needs a dnsProvider', () => {
  assert.deepEqual(codes(minimalConfig({ tls: { mode: "dns" } })), [["fleet.tls.dnsProvider", "FLEET_ERR_CONFIG_TLS_DNS"]]);
  const ok = parse(minimalConfig({ tls: { mode: "dns", dnsProvider: "cloudflare" } }));
  assert.deepEqual(ok.config?.tls, { mode: "dns", dnsProvider: "cloudflare" });
  for (const dnsProvider of ["Cloudflare", "dns.providers.cloudflare", "route 53"]) {
    assert.deepEqual(codes(minimalConfig({ tls: { mode: "dns", dnsProvider } })), [["fleet.tls.dnsProvider", "FLEET_ERR_CONFIG_TLS_DNS"]], dnsProvider);
  }
});

test("publicUrl must have no trailing slash or query, and give each server its own URL", () => {
  const problem = (publicUrl: string, servers = 1) => {
    const mcpServers = Object.fromEntries(Array.from({ length: servers }, (_, i) => [`s${i}`, { command: "x" }]));
    return lines({ fleet: { publicUrl }, mcpServers });
  };
  assert.deepEqual(problem("https://{name}.example.com/"), [
    'fleet.publicUrl: expected a URL template without a trailing slash, got "https://{name}.example.com/"',
  ]);
  assert.deepEqual(problem("https://{name}.example.com?x=1"), [
    'fleet.publicUrl: expected a URL template without a query or fragment, got "https://{name}.example.com?x=1"',
  ]);
  assert.match(problem("https://mcp.example.com", 2)[0], /with \{name\} or \{port\}/);
  assert.match(problem("https://{server}.example.com")[0], /no placeholders but \{name\} and \{port\}/);
  assert.match(problem("ftp://{name}.example.com")[0], /of http\(s\)/);
  assert.deepEqual(problem("https://mcp.example.com"), [], "one server may use a fixed URL");
  const local = parse({ fleet: { publicUrl: "http://localhost:{port}/{name}" }, mcpServers: { a: { command: "x" } } });
  assert.equal(local.config?.servers[0].publicUrl, "http://localhost:8001/a");
});

test("storage: redis needs a redis:// or rediss:// url; sqlite takes none", () => {
  assert.deepEqual(codes(minimalConfig({ storage: { kind: "redis" } })), [["fleet.storage.url", "FLEET_ERR_CONFIG_REQUIRED"]]);
  assert.deepEqual(codes(minimalConfig({ storage: { kind: "redis", url: "http://x" } })), [["fleet.storage.url", "FLEET_ERR_CONFIG_BAD_VALUE"]]);
  assert.deepEqual(codes(minimalConfig({ storage: { url: "redis://x" } })), [["fleet.storage.url", "FLEET_ERR_CONFIG_BAD_VALUE"]]);
  const ok = parse(minimalConfig({ storage: { kind: "redis", url: "rediss://cache.internal:6380" } }));
  assert.deepEqual(ok.config?.storage, { kind: "redis", url: "rediss://cache.internal:6380", keyPrefix: "mcp-fleet:" });
});

test("storage: a Redis password from ${VAR} (in password or in the url), a key prefix; sqlite takes neither", () => {
  const env = { REDIS_PASSWORD: "s3cret/with@signs" };
  const separate = parseConfig(minimalConfig({ storage: { kind: "redis", url: "rediss://cache:6380", password: "${REDIS_PASSWORD}", keyPrefix: "team-a:" } }), { env });
  assert.deepEqual(separate.config?.storage, { kind: "redis", url: "rediss://cache:6380", password: env.REDIS_PASSWORD, keyPrefix: "team-a:" });
  const inUrl = parseConfig(minimalConfig({ storage: { kind: "redis", url: "redis://:${REDIS_PW}@cache:6379" } }), { env: { REDIS_PW: "pw" } });
  assert.equal(inUrl.config?.storage.kind === "redis" && inUrl.config.storage.url, "redis://:pw@cache:6379");
  assert.deepEqual(codes(minimalConfig({ storage: { kind: "redis", url: "redis://:pw@cache:6379", password: "other" } })),
    [["fleet.storage.password", "FLEET_ERR_CONFIG_BAD_VALUE"]]);
  assert.deepEqual(codes(minimalConfig({ storage: { kind: "redis", url: "redis://cache", keyPrefix: "no colon" } })),
    [["fleet.storage.keyPrefix", "FLEET_ERR_CONFIG_BAD_VALUE"]]);
  assert.deepEqual(codes(minimalConfig({ storage: { kind: "redis", url: "redis://cache", password: "" } })),
    [["fleet.storage.password", "FLEET_ERR_CONFIG_BAD_VALUE"]]);
  assert.deepEqual(codes(minimalConfig({ storage: { kind: "sqlite", password: "x", keyPrefix: "a:" } })),
    [["fleet.storage.password", "FLEET_ERR_CONFIG_BAD_VALUE"], ["fleet.storage.keyPrefix", "FLEET_ERR_CONFIG_BAD_VALUE"]]);
  assert.deepEqual(codes(minimalConfig({ storage: { kind: "redis", url: "redis://cache", pasword: "x" } })).map(([path]) => path), ["fleet.storage.pasword"]);
});

test("password users need a scrypt$ hash; providers need their required keys", () => {
  const fleet = {
    auth: {
      providers: { oidc: { clientId: "c" }, github: {}, password: { users: { "bad name": { email: "x" } } } },
      allow: { anyone: true },
    },
  };
  assert.deepEqual(codes(minimalConfig(fleet)), [
    ["fleet.auth.providers.github.clientId", "FLEET_ERR_CONFIG_REQUIRED"],
    ["fleet.auth.providers.github.clientSecret", "FLEET_ERR_CONFIG_REQUIRED"],
    ["fleet.auth.providers.oidc.issuer", "FLEET_ERR_CONFIG_REQUIRED"],
    ['fleet.auth.providers.password.users["bad name"]', "FLEET_ERR_CONFIG_BAD_VALUE"],
    ['fleet.auth.providers.password.users["bad name"].passwordHash', "FLEET_ERR_CONFIG_REQUIRED"],
    ['fleet.auth.providers.password.users["bad name"].email', "FLEET_ERR_CONFIG_BAD_VALUE"],
  ]);
});

test("replicas above 1 need Redis storage; the problem names the path and the fix", () => {
  const raw = { mcpServers: { a: { command: "x", replicas: 2 }, b: { command: "y" } } };
  assert.deepEqual(codes(raw), [["mcpServers.a.replicas", "FLEET_ERR_CONFIG_REPLICAS_STORAGE"]]);
  assert.match(lines(raw)[0], /"kind": "redis"/);
  const redis = { fleet: { storage: { kind: "redis", url: "redis://127.0.0.1:6379" } }, mcpServers: raw.mcpServers };
  assert.deepEqual(codes(redis), []);
  assert.equal(parse(redis).config?.servers[0].replicas, 2);
  assert.equal(parse(redis).config?.servers[1].replicas, 1);
});

test("replicas is a whole number from 1 to 16", () => {
  const redis = { kind: "redis", url: "redis://127.0.0.1:6379" };
  for (const replicas of [0, 17, 1.5, "2"]) {
    const raw = { fleet: { storage: redis }, mcpServers: { a: { command: "x", replicas } } };
    assert.deepEqual(codes(raw), [["mcpServers.a.replicas", "FLEET_ERR_CONFIG_BAD_VALUE"]], `replicas ${JSON.stringify(replicas)}`);
  }
});

test("forwardIdentity needs isolation session: validate says so instead of the sidecar failing at start", () => {
  const raw = { mcpServers: { a: { command: "x", forwardIdentity: true, isolation: "shared" }, b: { command: "y", forwardIdentity: true } } };
  assert.deepEqual(codes(raw), [["mcpServers.a.forwardIdentity", "FLEET_ERR_CONFIG_FORWARD_IDENTITY"]]);
  assert.deepEqual(codes({ mcpServers: { a: { command: "x", isolation: "shared" } } }), []);
});

test("replica r listens on port + r × 1000; a replica port taken by another server or above 65535 is refused at its path", () => {
  const storage = { kind: "redis", url: "redis://127.0.0.1:6379" };
  const clash = { fleet: { storage }, mcpServers: { a: { command: "x", port: 8001, replicas: 2 }, b: { command: "y", port: 9001 } } };
  assert.deepEqual(codes(clash), [["mcpServers.b.port", "FLEET_ERR_CONFIG_PORT_CONFLICT"]]);
  const high = { fleet: { storage }, mcpServers: { a: { command: "x", port: 60001, replicas: 7 } } };
  assert.deepEqual(codes(high), [["mcpServers.a.replicas", "FLEET_ERR_CONFIG_PORT_RANGE"]]);
  const fine = { fleet: { storage }, mcpServers: { a: { command: "x", replicas: 3 }, b: { command: "y", replicas: 3 } } };
  assert.deepEqual(codes(fine), []);
});

test("fleet.hosts and a server's hosts: unknown or repeated names and more hosts than replicas are refused at their paths", () => {
  const storage = { kind: "redis", url: "redis://127.0.0.1:6379" };
  const hosts = { a: { address: "10.0.0.2" }, b: { address: "10.0.0.3" } };
  const good = { fleet: { storage, hosts }, mcpServers: { s: { command: "x", replicas: 3, hosts: ["a", "b"] } } };
  assert.deepEqual(codes(good), []);
  assert.deepEqual(parse(good).config?.hosts, hosts);
  assert.deepEqual(parse(good).config?.servers[0].hosts, ["a", "b"]);
  const bad = { fleet: { storage, hosts }, mcpServers: { s: { command: "x", replicas: 2, hosts: ["a", "c", "a"] } } };
  assert.deepEqual(codes(bad), [
    ["mcpServers.s.hosts.1", "FLEET_ERR_CONFIG_UNKNOWN_HOST"],
    ["mcpServers.s.hosts.2", "FLEET_ERR_CONFIG_UNKNOWN_HOST"],
    ["mcpServers.s.hosts", "FLEET_ERR_CONFIG_UNKNOWN_HOST"],
  ]);
  const noAddress = { fleet: { storage, hosts: { a: {} } }, mcpServers: { s: { command: "x" } } };
  assert.deepEqual(codes(noAddress).map(([path]) => path), ["fleet.hosts.a.address"]);
});

test("an http:// oidc issuer needs allowInsecureIssuer, which only a loopback issuer may have", () => {
  const oidc = (issuer: string, extra: Record<string, unknown> = {}) => ({
    fleet: { auth: { providers: { oidc: { issuer, clientId: "c", ...extra } }, allow: { anyone: true } } },
    mcpServers: { a: { command: "x" } },
  });
  assert.deepEqual(codes(oidc("http://127.0.0.1:9000")), [["fleet.auth.providers.oidc.issuer", "FLEET_ERR_CONFIG_INSECURE_ISSUER"]]);
  assert.deepEqual(codes(oidc("http://127.0.0.1:9000", { allowInsecureIssuer: true })), []);
  assert.deepEqual(codes(oidc("http://localhost:9000", { allowInsecureIssuer: true })), []);
  assert.deepEqual(codes(oidc("http://idp.example.com", { allowInsecureIssuer: true })), [
    ["fleet.auth.providers.oidc.allowInsecureIssuer", "FLEET_ERR_CONFIG_INSECURE_ISSUER"],
  ]);
  assert.deepEqual(codes(oidc("https://idp.example.com", { allowInsecureIssuer: true })), [
    ["fleet.auth.providers.oidc.allowInsecureIssuer", "FLEET_ERR_CONFIG_INSECURE_ISSUER"],
  ]);
  assert.deepEqual(codes(oidc("https://idp.example.com")), []);
});

test("maxSessionsPerUser: a whole number >= 1 and at most maxSessions, given per server; the default never exceeds maxSessions", () => {
  const perUser = (server: object) => parse(minimalConfig({}, server)).config?.servers[0].maxSessionsPerUser;
  assert.equal(perUser({}), 10);
  assert.equal(perUser({ maxSessionsPerUser: 3 }), 3);
  assert.equal(perUser({ maxSessions: 4 }), 4);
  assert.equal(perUser({ maxSessions: 4, maxSessionsPerUser: 4 }), 4);
  assert.deepEqual(lines(minimalConfig({}, { maxSessions: 4, maxSessionsPerUser: 5 })),
    ["mcpServers.alpha.maxSessionsPerUser: expected at most maxSessions (4) sessions per user, got 5"]);
  for (const maxSessionsPerUser of [0, -1, 1.5, "2"]) {
    assert.deepEqual(codes(minimalConfig({}, { maxSessionsPerUser })), [["mcpServers.alpha.maxSessionsPerUser", "FLEET_ERR_CONFIG_BAD_VALUE"]], JSON.stringify(maxSessionsPerUser));
  }
});

test("requestTimeout: a duration above 0, per server, default 5 min", () => {
  const timeout = (server: object) => parse(minimalConfig({}, server)).config?.servers[0].requestTimeoutMs;
  assert.equal(timeout({}), 300_000);
  assert.equal(timeout({ requestTimeout: "90s" }), 90_000);
  assert.equal(timeout({ requestTimeout: 2_500 }), 2_500);
  assert.deepEqual(codes(minimalConfig({}, { requestTimeout: "soon" })), [["mcpServers.alpha.requestTimeout", "FLEET_ERR_CONFIG_DURATION"]]);
  assert.deepEqual(lines(minimalConfig({}, { requestTimeout: "0s" })),
    ['mcpServers.alpha.requestTimeout: expected a duration above 0 like "30s" or "5m" (how long a request may go unanswered), got 0']);
  assert.deepEqual(lines(minimalConfig({}, { requestTimout: "1m" })), ['mcpServers.alpha.requestTimout: unknown key "requestTimout"; did you mean "requestTimeout"?']);
});

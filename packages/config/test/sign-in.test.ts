import assert from "node:assert/strict";
import { test } from "node:test";
import { parseConfig, signInProblems } from "../src/index.ts";

const servers = { mcpServers: { a: { command: "x" } } };
const hash = "scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
function check(fleet: unknown) {
  const raw = { fleet, ...servers };
  const parsed = parseConfig(raw, { env: {} });
  assert.deepEqual(parsed.problems, [], "the config itself is valid");
  return signInProblems(parsed.config!, raw).map((problem) => [problem.path, problem.code, problem.message]);
}

test("providers: {} lets nobody sign in: a coded problem at fleet.auth.providers", () => {
  assert.deepEqual(check({ auth: { providers: {} } }), [[
    "fleet.auth.providers", "FLEET_ERR_CONFIG_NO_SIGN_IN",
    "expected at least one provider (password with a user, google, github or oidc), got none: nobody could sign in",
  ]]);
});

test("a password provider without users lets nobody sign in: the problem names its users", () => {
  assert.deepEqual(check({ auth: { providers: { password: { users: {} } } } }), [[
    "fleet.auth.providers.password.users", "FLEET_ERR_CONFIG_NO_SIGN_IN",
    'expected at least one user ("NAME": { "passwordHash": "…" }, the hash from mcp-fleet hash-password), got none: nobody could sign in',
  ]]);
});

test("one user, or an upstream provider beside an empty password provider, is enough", () => {
  assert.deepEqual(check({ auth: { providers: { password: { users: { alice: { passwordHash: hash } } } } } }), []);
  assert.deepEqual(check({ auth: { providers: { password: { users: {} }, github: { clientId: "a", clientSecret: "b" } }, allow: { anyone: true } } }), []);
});

test("no providers written at all is not refused here (a fleet without sign-in is asked for by leaving auth out)", () => {
  assert.deepEqual(check(undefined), []);
  assert.deepEqual(check({ auth: {} }), []);
});

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ConfigError, formatProblems, loadConfig, parseConfig } from "../src/index.ts";
import { minimalConfig } from "./full-config.ts";

const SECRET = "hunter2-s3cr3t";

function assertNotEchoed(problems: Parameters<typeof formatProblems>[0]): string {
  const text = formatProblems(problems) + ConfigError.fromProblems(problems).message;
  assert.ok(problems.length > 0);
  assert.ok(!text.includes(SECRET), text);
  assert.ok(!text.includes("hunter2"), text);
  return text;
}

test("a bad value that came from an environment variable is shown as (hidden)", () => {
  const raw = minimalConfig({ logLevel: "${LEVEL}" }, { isolation: "${ISO}" });
  const { problems } = parseConfig(raw, { env: { LEVEL: SECRET, ISO: `x${SECRET}` } });
  const text = assertNotEchoed(problems);
  assert.match(text, /mcpServers\.alpha\.isolation: expected "session" or "shared", got a string \(hidden\)/);
  assert.match(text, /fleet\.logLevel: expected .*, got a string \(hidden\)/);
});

test("values under keys named like secret/password/token/key are never shown", () => {
  const fleet = {
    auth: {
      providers: {
        google: { clientId: "id", clientSecret: 42 },
        password: { users: { alice: { passwordHash: SECRET } } },
      },
      allow: { anyone: true },
    },
  };
  const server = { env: { API_KEY: 12345, TOKEN: true }, command: "x" };
  const { problems } = parseConfig(minimalConfig(fleet, server), { env: {} });
  const text = assertNotEchoed(problems);
  assert.ok(!text.includes("42") && !text.includes("12345"), text);
  assert.match(text, /passwordHash: expected a password hash starting with "scrypt\$", got a string \(hidden\)/);
  assert.match(text, /clientSecret: expected a non-empty string, got a number \(hidden\)/);
});

test("header values and URL credentials are never shown", () => {
  const raw = {
    fleet: { storage: { kind: "redis", url: `http://user:${SECRET}@cache:6379` } },
    mcpServers: { n: { url: "http://127.0.0.1:1/mcp", headers: { "X-Custom": 7 } } },
  };
  const text = assertNotEchoed(parseConfig(raw, { env: {} }).problems);
  assert.match(text, /fleet\.storage\.url: expected .*, got "http:\/\/\(hidden\)@cache:6379"/);
  assert.match(text, /headers\.X-Custom: expected a string, got a number \(hidden\)/);
});

test("a Redis password is never shown, wherever it is given", () => {
  const raw = {
    fleet: { storage: { kind: "sqlite", password: SECRET, url: `redis://:${SECRET}@cache:6379` } },
    mcpServers: { n: { command: "x" } },
  };
  const text = assertNotEchoed(parseConfig(raw, { env: {} }).problems);
  assert.match(text, /fleet\.storage\.password: expected no password .*, got a string \(hidden\)/);
  assert.match(text, /fleet\.storage\.url: expected no url .*, got "redis:\/\/\(hidden\)@cache:6379"/);
});

test("a JSON syntax error does not quote the file's text", () => {
  const dir = mkdtempSync(join(tmpdir(), "fleet-secret-"));
  try {
    const file = join(dir, "fleet.json");
    writeFileSync(file, `{"fleet": {"x": "${SECRET}" oops}}`);
    const { problems } = loadConfig(file, {});
    assert.equal(problems[0].code, "FLEET_ERR_CONFIG_SYNTAX");
    assertNotEchoed(problems);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

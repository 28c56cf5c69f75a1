import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDuration } from "../src/duration.ts";
import { parseConfig } from "../src/index.ts";
import { minimalConfig } from "./full-config.ts";

test("durations with a unit become milliseconds", () => {
  assert.equal(parseDuration("250ms"), 250);
  assert.equal(parseDuration("5s"), 5_000);
  assert.equal(parseDuration("30m"), 1_800_000);
  assert.equal(parseDuration("1h"), 3_600_000);
  assert.equal(parseDuration("30d"), 2_592_000_000);
  assert.equal(parseDuration("1.5s"), 1_500);
  assert.equal(parseDuration("0s"), 0);
});

test("a number, or a string of digits, is already milliseconds", () => {
  assert.equal(parseDuration(1500), 1500);
  assert.equal(parseDuration(0), 0);
  assert.equal(parseDuration("1500"), 1500);
});

test("anything else is not a duration", () => {
  for (const bad of ["", "5 minutes", "5x", "-5s", "1e3s", "s", -1, 1.5, Number.NaN, Infinity, null, true, {}, []]) {
    assert.equal(parseDuration(bad), undefined, `${String(bad)} should not parse`);
  }
});

test("a bad duration in a config is a problem at its path, with the accepted forms", () => {
  const raw = minimalConfig({ auth: { accessTokenTtl: "1 hour" } }, { killTimeout: "5x", sessionIdleTimeout: -1 });
  const { problems } = parseConfig(raw, { env: {} });
  assert.deepEqual(problems.map((p) => [p.path, p.code]), [
    ["fleet.auth.accessTokenTtl", "FLEET_ERR_CONFIG_DURATION"],
    ["mcpServers.alpha.sessionIdleTimeout", "FLEET_ERR_CONFIG_DURATION"],
    ["mcpServers.alpha.killTimeout", "FLEET_ERR_CONFIG_DURATION"],
  ]);
  assert.equal(
    problems[2].message,
    'expected a duration like "250ms", "5s", "30m", "1h", "30d" or a number of milliseconds, got "5x"',
  );
});

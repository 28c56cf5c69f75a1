import assert from "node:assert/strict";
import { test } from "node:test";
import type { ConfigProblem } from "../src/index.ts";
import { ConfigError, ConfigErrorCode, formatProblems } from "../src/index.ts";

test("every exported code's key equals its code, and a ConfigError carries it", () => {
  const entries = Object.entries(ConfigErrorCode);
  assert.ok(entries.length > 0);
  for (const [key, code] of entries) {
    assert.equal(code, key);
    assert.match(key, /^FLEET_ERR_CONFIG_[A-Z_]+$/);
    const error = new ConfigError(code, "message");
    assert.equal(error.code, key);
    assert.ok(error instanceof Error);
    assert.equal(error.name, "ConfigError");
  }
});

const problems: ConfigProblem[] = [
  { path: "mcpServers.notion.url", message: "expected an http or https URL, got nothing", code: "FLEET_ERR_CONFIG_REQUIRED" },
  { path: "", message: "expected an object, got an array", code: "FLEET_ERR_CONFIG_BAD_VALUE" },
];

test("formatProblems gives one `path: message` line per problem", () => {
  assert.equal(
    formatProblems(problems),
    "mcpServers.notion.url: expected an http or https URL, got nothing\n(root): expected an object, got an array",
  );
  assert.equal(formatProblems([]), "");
});

test("ConfigError.fromProblems is FLEET_ERR_CONFIG_INVALID with the problems attached", () => {
  const error = ConfigError.fromProblems(problems);
  assert.equal(error.code, "FLEET_ERR_CONFIG_INVALID");
  assert.deepEqual(error.problems, problems);
  assert.ok(Object.isFrozen(error.problems));
  assert.equal(error.message, `fleet config is invalid (2 problems):\n${formatProblems(problems)}`);
});

test("a ConfigError keeps its cause", () => {
  const cause = new Error("ENOENT");
  assert.equal(new ConfigError("FLEET_ERR_CONFIG_READ", "cannot read", { cause }).cause, cause);
});

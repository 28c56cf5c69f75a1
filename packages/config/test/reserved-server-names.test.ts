import assert from "node:assert/strict";
import { test } from "node:test";
import { parseConfig } from "../src/index.ts";

const problems = (raw: unknown) => parseConfig(raw, { env: {} }).problems.map((p) => [p.path, p.code]);

test("a server named like the fleet's edge or Redis is refused at its JSON path", () => {
  for (const name of ["caddy", "redis"]) {
    assert.deepEqual(problems({ mcpServers: { [name]: { command: "x" }, other: { command: "y" } } }), [[`mcpServers.${name}`, "FLEET_ERR_CONFIG_SERVER_NAME"]]);
  }
  const [problem] = parseConfig({ mcpServers: { redis: { command: "x" } } }, { env: {} }).problems;
  assert.match(problem.message, /other than "caddy" and "redis".*got "redis"; rename the server, e.g\. "redis-mcp"/);
});

test("names that merely contain them are fine", () => {
  assert.deepEqual(problems({ mcpServers: { "redis-mcp": { command: "x" }, "caddy-docs": { command: "y" } } }), []);
});

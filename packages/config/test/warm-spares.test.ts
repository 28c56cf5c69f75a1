import assert from "node:assert/strict";
import { test } from "node:test";
import { parseConfig } from "../src/index.ts";
import { minimalConfig } from "./full-config.ts";

const parse = (server: object) => parseConfig(minimalConfig({}, server), { configFile: "/etc/mcp-fleet/fleet.json", env: {} });
const codes = (server: object) => parse(server).problems.map((problem) => [problem.path, problem.code]);

test('warmSpares defaults to "auto" with a 500 ms threshold: no spare is paid for a fast or unused server', () => {
  const [alpha] = parse({}).config?.servers ?? [];
  assert.equal(alpha?.warmSpares, "auto");
  assert.equal(alpha?.warmSpareThresholdMs, 500);
});

test('warmSpares takes a count or "auto"; warmSpareThreshold a duration', () => {
  assert.equal(parse({ warmSpares: 0 }).config?.servers[0]?.warmSpares, 0);
  assert.equal(parse({ warmSpares: 2 }).config?.servers[0]?.warmSpares, 2);
  assert.equal(parse({ warmSpares: "auto", warmSpareThreshold: "2s" }).config?.servers[0]?.warmSpareThresholdMs, 2_000);
});

test("a bad warmSpares or warmSpareThreshold is refused at its JSON path", () => {
  assert.deepEqual(codes({ warmSpares: "sometimes" }), [["mcpServers.alpha.warmSpares", "FLEET_ERR_CONFIG_BAD_VALUE"]]);
  assert.deepEqual(codes({ warmSpares: -1 }), [["mcpServers.alpha.warmSpares", "FLEET_ERR_CONFIG_BAD_VALUE"]]);
  assert.match(parse({ warmSpares: 1.5 }).problems[0]?.message ?? "", /an integer >= 0 or "auto"/);
  assert.deepEqual(codes({ warmSpareThreshold: "soon" }).map(([path]) => path), ["mcpServers.alpha.warmSpareThreshold"]);
});

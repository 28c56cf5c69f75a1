import assert from "node:assert/strict";
import { test } from "node:test";
import { expandEnv } from "../src/expand-env.ts";
import { parseConfig } from "../src/index.ts";
import { minimalConfig } from "./full-config.ts";

test("${VAR} expands in every string, nested in objects and arrays; keys and non-strings are left alone", () => {
  const raw = { a: "x-${A}-y", list: ["${A}", 3, true, null], nested: { "${A}": "${B}${A}" } };
  const { value, problems, envPaths } = expandEnv(raw, { A: "one", B: "two" });
  assert.deepEqual(problems, []);
  assert.deepEqual(value, { a: "x-one-y", list: ["one", 3, true, null], nested: { "${A}": "twoone" } });
  assert.deepEqual([...envPaths], ["a", "list[0]", 'nested["${A}"]']);
});

test("${VAR:-default} uses the default when VAR is unset or empty", () => {
  const raw = ["${UNSET:-fallback}", "${EMPTY:-fallback}", "${SET:-fallback}", "${UNSET:-}"];
  const { value, problems, envPaths } = expandEnv(raw, { EMPTY: "", SET: "real" });
  assert.deepEqual(problems, []);
  assert.deepEqual(value, ["fallback", "fallback", "real", ""]);
  assert.deepEqual([...envPaths], ["[2]"], "only values taken from the environment are marked");
});

test("a missing variable without a default names the variable and the JSON path", () => {
  const raw = { mcpServers: { context7: { command: "npx", env: { API_KEY: "${API_KEY}", B: "${B1}/${B2}" } } } };
  const { problems } = expandEnv(raw, { B1: "set" });
  assert.deepEqual(problems, [
    { path: "mcpServers.context7.env.API_KEY", code: "FLEET_ERR_CONFIG_MISSING_VAR", message: "environment variable API_KEY is not set" },
    { path: "mcpServers.context7.env.B", code: "FLEET_ERR_CONFIG_MISSING_VAR", message: "environment variable B2 is not set" },
  ]);
});

test("a set-but-empty variable is not missing", () => {
  const { value, problems } = expandEnv({ a: "${E}" }, { E: "" });
  assert.deepEqual(problems, []);
  assert.deepEqual(value, { a: "" });
});

test("text that is not a ${NAME} reference is kept as is", () => {
  const { value } = expandEnv(["$HOME", "${not a var}", "${", "cost: $5"], { HOME: "/root" });
  assert.deepEqual(value, ["$HOME", "${not a var}", "${", "cost: $5"]);
});

test("parseConfig expands before validating and reports the missing variable once", () => {
  const raw = minimalConfig(
    { auth: { providers: { google: { clientId: "${GID}", clientSecret: "${GSECRET}" } }, allow: { anyone: true } } },
    { env: { TOKEN: "${TOKEN}" }, args: ["--port", "${PORT:-3000}"] },
  );
  const { config, problems } = parseConfig(raw, { env: { GID: "id" } });
  assert.equal(config, undefined);
  assert.deepEqual(problems.map((p) => `${p.path}: ${p.message}`), [
    "fleet.auth.providers.google.clientSecret: environment variable GSECRET is not set",
    "mcpServers.alpha.env.TOKEN: environment variable TOKEN is not set",
  ]);
  const ok = parseConfig(raw, { env: { GID: "id", GSECRET: "s", TOKEN: "t" } });
  assert.deepEqual(ok.config?.servers[0].args, ["--port", "3000"]);
  assert.equal(ok.config?.auth.providers.google?.clientSecret, "s");
});

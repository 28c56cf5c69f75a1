import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../src/index.ts";

const dir = mkdtempSync(join(tmpdir(), "fleet-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

test("fleet.example.json at the repository root validates", () => {
  const file = fileURLToPath(new URL("../../../fleet.example.json", import.meta.url));
  const { config, problems } = loadConfig(file, {});
  assert.deepEqual(problems, []);
  assert.ok(config);
  assert.deepEqual(config.servers.map((s) => [s.name, s.port, s.isolation]), [
    ["everything", 8001, "session"],
    ["memory", 8002, "shared"],
    ["files", 8003, "session"],
  ]);
  assert.deepEqual(config.auth.providers, { password: { users: {} } });
  assert.equal(config.stateDir, join(config.configDir, "state"));
});

test("a file is read, expanded from the given env, and stateDir resolves next to it", () => {
  const file = write("ok.json", JSON.stringify({ fleet: { stateDir: "${STATE:-data}" }, mcpServers: { a: { command: "x" } } }));
  assert.equal(loadConfig(file, {}).config?.stateDir, join(dir, "data"));
  assert.equal(loadConfig(file, { STATE: "/var/lib/fleet" }).config?.stateDir, "/var/lib/fleet");
  assert.equal(loadConfig(file, {}).config?.configFile, file);
});

test("a JSON syntax error gives its line and column", () => {
  const file = write("bad.json", '{\n  "mcpServers": {\n    "a": { "command": "x" },\n  }\n}\n');
  const { config, problems } = loadConfig(file, {});
  assert.equal(config, undefined);
  assert.deepEqual(problems, [
    {
      path: "",
      code: "FLEET_ERR_CONFIG_SYNTAX",
      message: `invalid JSON at line 4, column 3 of ${file}: expected a property name in double quotes, got '}'`,
    },
  ]);
});

test("other JSON syntax errors are located too", () => {
  const cases: [string, string][] = [
    ['{"a": }', "line 1, column 7"],
    ['{"a": 1', "line 1, column 8"],
    ['{"a": 1}\n{"b": 2}', "line 2, column 1"],
    ['{"a": "x\n"}', "line 1, column 9"],
    ['\n\n  [1, 2,, 3]', "line 3, column 9"],
    ["", "line 1, column 1"],
  ];
  for (const [text, where] of cases) {
    const { problems } = loadConfig(write("case.json", text), {});
    assert.equal(problems[0].code, "FLEET_ERR_CONFIG_SYNTAX");
    assert.ok(problems[0].message.startsWith(`invalid JSON at ${where} `), `${JSON.stringify(text)}: ${problems[0].message}`);
  }
});

test("a missing file is a FLEET_ERR_CONFIG_READ problem, not an exception", () => {
  const { config, problems } = loadConfig(join(dir, "nope.json"), {});
  assert.equal(config, undefined);
  assert.equal(problems[0].code, "FLEET_ERR_CONFIG_READ");
  assert.match(problems[0].message, /cannot read .*nope\.json \(ENOENT\)/);
});

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { ConfigProblem } from "./errors.ts";
import { parseJson } from "./json-syntax.ts";
import { parseConfig } from "./parse.ts";
import type { ConfigResult, Env } from "./types.ts";

function failure(problem: ConfigProblem): ConfigResult {
  return Object.freeze({ config: undefined, problems: Object.freeze([Object.freeze(problem)]) });
}

/**
 * Reads and validates a fleet config file. Synchronous, so pm2's ecosystem.config.js can call it.
 * Never throws for a bad file and never exits: the result carries the config or the problems.
 */
export function loadConfig(file: string, env: Env = process.env): ConfigResult {
  const configFile = resolve(file);
  let text: string;
  try {
    text = readFileSync(configFile, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return failure({ path: "", code: "FLEET_ERR_CONFIG_READ", message: `cannot read ${configFile} (${reason})` });
  }
  const parsed = parseJson(text);
  if ("error" in parsed) {
    const { line, column, message } = parsed.error;
    return failure({ path: "", code: "FLEET_ERR_CONFIG_SYNTAX", message: `invalid JSON at line ${line}, column ${column} of ${configFile}: ${message}` });
  }
  return parseConfig(parsed.value, { configFile, env });
}

import type { Context } from "./context.ts";

const SECRET_KEY = /secret|passw|token|key|credential|authorization|cookie/i;
/** Schema keys that look secret by name but hold durations. */
const NOT_SECRET = new Set(["accessTokenTtl", "refreshTokenTtl"]);
/** Values inside a server's `env` and `headers` maps are treated as secrets. */
const SECRET_MAP = /\.(env|headers)[.[]/;
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i;
const MAX_SHOWN = 80;

function lastSegment(path: string): string {
  return path.split(/[.[\]"]+/).filter(Boolean).at(-1) ?? "";
}

/** True when the value at `path` must never appear in a message. */
export function isSecretPath(path: string, ctx: Context): boolean {
  if (ctx.envPaths.has(path) || SECRET_MAP.test(path)) return true;
  const key = lastSegment(path);
  return SECRET_KEY.test(key) && !NOT_SECRET.has(key);
}

/** Describes a found value for a problem message, saying `(hidden)` instead of any secret. */
export function describeValue(value: unknown, path: string, ctx: Context): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length === 0 ? "an empty array" : "an array";
  if (typeof value === "object") return "an object";
  if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
    return `a ${typeof value}`;
  }
  if (isSecretPath(path, ctx)) return `a ${typeof value} (hidden)`;
  if (typeof value !== "string") return String(value);
  const shown = value.replace(USERINFO, "$1(hidden)@");
  return JSON.stringify(shown.length > MAX_SHOWN ? `${shown.slice(0, MAX_SHOWN)}…` : shown);
}

import type { Context } from "./context.ts";
import { report } from "./context.ts";
import { describeValue } from "./describe-value.ts";
import { checkDuration } from "./duration.ts";
import type { Format } from "./formats.ts";
import { joinPath } from "./json-path.ts";
import { suggestKey } from "./suggest.ts";

type StringOptions = { readonly required?: boolean; readonly format?: Format };
type IntegerOptions = { readonly min?: number; readonly max?: number };
/** `split`: each item may hold several values separated by commas or spaces (handy for `${VAR}` lists). */
type StringsOptions = { readonly format?: Format; readonly split?: boolean };

/** Typed reads of one JSON object; a bad value becomes a problem and reads as undefined. */
export type Fields = {
  readonly path: string;
  /** The object was given and is an object. */
  readonly valid: boolean;
  at(key: string): string;
  has(key: string): boolean;
  raw(key: string): unknown;
  entries(): [string, unknown][];
  string(key: string, options?: StringOptions): string | undefined;
  boolean(key: string): boolean | undefined;
  integer(key: string, options?: IntegerOptions): number | undefined;
  oneOf<T extends string>(key: string, values: readonly T[]): T | undefined;
  strings(key: string, options?: StringsOptions): string[] | undefined;
  stringMap(key: string): Record<string, string> | undefined;
  duration(key: string): number | undefined;
  object(key: string, known: readonly string[] | "any"): Fields;
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** `"a"`, `"a" or "b"`, `"a", "b" or "c"`. */
export function listChoices(values: readonly string[]): string {
  const quoted = values.map((value) => JSON.stringify(value));
  return quoted.length < 2 ? quoted.join("") : `${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}`;
}

function integerWords({ min, max }: IntegerOptions): string {
  if (min !== undefined && max !== undefined) return `an integer from ${min} to ${max}`;
  if (min !== undefined) return `an integer >= ${min}`;
  return "an integer";
}

function rejectUnknownKeys(obj: Record<string, unknown>, path: string, ctx: Context, known: readonly string[]) {
  for (const key of Object.keys(obj)) {
    if (known.includes(key)) continue;
    const suggestion = suggestKey(key, known);
    const hint = suggestion ? `did you mean "${suggestion}"?` : `expected one of: ${known.join(", ")}`;
    report(ctx, joinPath(path, key), "FLEET_ERR_CONFIG_UNKNOWN_KEY", `unknown key "${key}"; ${hint}`);
  }
}

/** Reads `value` at `path` as an object with the `known` keys (or "any" key, for maps). */
export function readFields(value: unknown, path: string, ctx: Context, known: readonly string[] | "any"): Fields {
  const valid = isObject(value);
  if (value !== undefined && !valid) {
    report(ctx, path, "FLEET_ERR_CONFIG_BAD_VALUE", `expected an object, got ${describeValue(value, path, ctx)}`);
  }
  const obj: Record<string, unknown> = valid ? value : {};
  if (valid && known !== "any") rejectUnknownKeys(obj, path, ctx, known);
  const at = (key: string) => joinPath(path, key);
  const bad = (key: string, expected: string, found: unknown = obj[key], where = at(key)): undefined => {
    report(ctx, where, "FLEET_ERR_CONFIG_BAD_VALUE", `expected ${expected}, got ${describeValue(found, where, ctx)}`);
    return undefined;
  };

  return {
    path,
    valid,
    at,
    has: (key) => obj[key] !== undefined,
    raw: (key) => obj[key],
    entries: () => Object.entries(obj),
    string(key, { required = false, format } = {}) {
      const expected = format?.expected ?? (required ? "a non-empty string" : "a string");
      const found = obj[key];
      if (found === undefined) {
        if (required && valid) report(ctx, at(key), "FLEET_ERR_CONFIG_REQUIRED", `expected ${expected}, got nothing`);
        return undefined;
      }
      if (typeof found !== "string") return bad(key, expected);
      if ((required && found === "") || (format && !format.test(found))) return bad(key, expected);
      return found;
    },
    boolean: (key) => {
      const found = obj[key];
      return found === undefined || typeof found === "boolean" ? found : bad(key, "true or false");
    },
    integer(key, options = {}) {
      const found = obj[key];
      if (found === undefined) return undefined;
      const { min = -Infinity, max = Infinity } = options;
      const ok = Number.isSafeInteger(found) && (found as number) >= min && (found as number) <= max;
      return ok ? (found as number) : bad(key, integerWords(options));
    },
    oneOf(key, values) {
      const found = obj[key];
      if (found === undefined) return undefined;
      return values.find((value) => value === found) ?? bad(key, listChoices(values));
    },
    strings(key, { format, split = false } = {}) {
      const found = obj[key];
      if (found === undefined) return undefined;
      if (!Array.isArray(found)) return bad(key, "an array of strings");
      return found.flatMap((item: unknown, index) => {
        const where = joinPath(at(key), index);
        if (typeof item !== "string") return bad(key, format?.expected ?? "a string", item, where) ?? [];
        const parts = split ? item.split(/[\s,]+/).filter(Boolean) : [item];
        const wrong = format === undefined ? undefined : parts.find((part) => !format.test(part));
        return wrong === undefined ? parts : (bad(key, format?.expected ?? "", wrong, where) ?? []);
      });
    },
    stringMap(key) {
      if (obj[key] === undefined) return undefined;
      const map = readFields(obj[key], at(key), ctx, "any");
      if (!map.valid) return undefined;
      const entries = map.entries().map(([name]) => [name, map.string(name)] as const);
      return Object.fromEntries(entries.filter((entry): entry is readonly [string, string] => entry[1] !== undefined));
    },
    duration: (key) => (obj[key] === undefined ? undefined : checkDuration(obj[key], at(key), ctx)),
    object: (key, keys) => readFields(obj[key], at(key), ctx, keys),
  };
}

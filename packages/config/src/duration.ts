import type { Context } from "./context.ts";
import { report } from "./context.ts";
import { describeValue } from "./describe-value.ts";

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;

export const DURATION_EXPECTED =
  'a duration like "250ms", "5s", "30m", "1h", "30d" or a number of milliseconds';

/** "30m" -> 1800000; a non-negative integer is already milliseconds; anything else -> undefined. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  const match = DURATION.exec(value.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? "ms") as keyof typeof UNIT_MS;
  const ms = Math.round(Number(match[1]) * UNIT_MS[unit]);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** parseDuration, recording a problem at `path` when the value is not a duration. */
export function checkDuration(value: unknown, path: string, ctx: Context): number | undefined {
  const ms = parseDuration(value);
  if (ms === undefined) {
    report(ctx, path, "FLEET_ERR_CONFIG_DURATION", `expected ${DURATION_EXPECTED}, got ${describeValue(value, path, ctx)}`);
  }
  return ms;
}

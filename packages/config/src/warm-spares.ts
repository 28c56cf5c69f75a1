import type { Context } from "./context.ts";
import { report } from "./context.ts";
import { describeValue } from "./describe-value.ts";
import type { Fields } from "./fields.ts";
import type { WarmSpares } from "./types.ts";

/** `warmSpares`: a count of children always kept started, or "auto" (see defaults.ts). */
export function readWarmSpares(f: Fields, ctx: Context): WarmSpares | undefined {
  const found = f.raw("warmSpares");
  if (found === undefined) return undefined;
  if (found === "auto" || (Number.isSafeInteger(found) && (found as number) >= 0)) return found as WarmSpares;
  const where = f.at("warmSpares");
  report(ctx, where, "FLEET_ERR_CONFIG_BAD_VALUE", `expected an integer >= 0 or "auto", got ${describeValue(found, where, ctx)}`);
  return undefined;
}

import * as formats from "./formats.ts";
import type { Fields } from "./fields.ts";
import { omitUndefined } from "./omit-undefined.ts";
import type { AllowList } from "./types.ts";

export const ALLOW_KEYS = ["emails", "domains", "githubOrgs", "anyone"];

const lowercase = (items: string[] | undefined) => items?.map((item) => item.toLowerCase());

/** The keys an `allow` object sets; list items may be comma-separated (`"${MCP_ALLOWED_USERS}"`). */
export function readAllow(f: Fields): Partial<AllowList> {
  return omitUndefined({
    emails: lowercase(f.strings("emails", { format: formats.email, split: true })),
    domains: lowercase(f.strings("domains", { format: formats.hostname, split: true })),
    githubOrgs: f.strings("githubOrgs", { format: formats.githubOrg, split: true }),
    anyone: f.boolean("anyone"),
  });
}

/** `base` with each key the override sets replaced (per key, not merged item by item). */
export function mergeAllow(base: AllowList, override: Partial<AllowList>): AllowList {
  return {
    emails: override.emails ?? base.emails,
    domains: override.domains ?? base.domains,
    githubOrgs: override.githubOrgs ?? base.githubOrgs,
    anyone: override.anyone ?? base.anyone,
  };
}

/** Nobody may sign in through an upstream provider. */
export function isEmptyAllow(allow: AllowList): boolean {
  return !allow.anyone && allow.emails.length + allow.domains.length + allow.githubOrgs.length === 0;
}

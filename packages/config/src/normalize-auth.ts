import type { Context } from "./context.ts";
import { report } from "./context.ts";
import { defaults } from "./defaults.ts";
import { parseDuration } from "./duration.ts";
import type { Fields } from "./fields.ts";
import { readFields } from "./fields.ts";
import * as formats from "./formats.ts";
import { ALLOW_KEYS, mergeAllow, readAllow } from "./normalize-allow.ts";
import { omitUndefined } from "./omit-undefined.ts";
import type { AuthConfig, PasswordProviderConfig, PasswordUserConfig, ProvidersConfig } from "./types.ts";

export const AUTH_KEYS = ["providers", "allow", "accessTokenTtl", "refreshTokenTtl"];
const PROVIDER_KEYS = ["google", "github", "oidc", "password"];
const GOOGLE_KEYS = ["clientId", "clientSecret", "hostedDomain"];
const GITHUB_KEYS = ["clientId", "clientSecret"];
const OIDC_KEYS = ["issuer", "clientId", "clientSecret", "emailClaim", "name", "allowInsecureIssuer"];
const USER_KEYS = ["passwordHash", "email"];

const required = { required: true } as const;

function readPasswordUsers(f: Fields, ctx: Context): PasswordProviderConfig["users"] {
  const users = f.object("users", "any");
  const entries = users.entries().map(([name, value]): [string, PasswordUserConfig] => {
    const path = users.at(name);
    if (!formats.userName.test(name)) {
      report(ctx, path, "FLEET_ERR_CONFIG_BAD_VALUE", `expected ${formats.userName.expected}, got ${JSON.stringify(name)}`);
    }
    const user = readFields(value, path, ctx, USER_KEYS);
    const passwordHash = user.string("passwordHash", { required: true, format: formats.passwordHash }) ?? "";
    return [name, omitUndefined({ passwordHash, email: user.string("email", { format: formats.email }) })];
  });
  return Object.fromEntries(entries);
}

function readProviders(f: Fields, ctx: Context): ProvidersConfig {
  const google = f.object("google", GOOGLE_KEYS);
  const github = f.object("github", GITHUB_KEYS);
  const oidc = f.object("oidc", OIDC_KEYS);
  const password = f.object("password", ["users"]);
  return omitUndefined({
    google: !google.valid ? undefined : omitUndefined({
      clientId: google.string("clientId", required) ?? "",
      clientSecret: google.string("clientSecret", required) ?? "",
      hostedDomain: google.string("hostedDomain", { format: formats.hostname }),
    }),
    github: !github.valid ? undefined : {
      clientId: github.string("clientId", required) ?? "",
      clientSecret: github.string("clientSecret", required) ?? "",
    },
    oidc: !oidc.valid ? undefined : omitUndefined({
      issuer: oidc.string("issuer", { required: true, format: formats.httpUrl }) ?? "",
      clientId: oidc.string("clientId", required) ?? "",
      clientSecret: oidc.string("clientSecret"),
      emailClaim: oidc.string("emailClaim", { format: formats.nonEmpty }) ?? defaults.auth.oidcEmailClaim,
      name: oidc.string("name"),
      allowInsecureIssuer: oidc.boolean("allowInsecureIssuer") ?? defaults.auth.oidcAllowInsecureIssuer,
    }),
    password: !password.valid ? undefined : { users: readPasswordUsers(password, ctx) },
  });
}

/** `fleet.auth`: providers, the fleet-wide allow-list and token lifetimes. */
export function normalizeAuth(f: Fields, ctx: Context): AuthConfig {
  const allow = f.object("allow", ALLOW_KEYS);
  return {
    providers: readProviders(f.object("providers", PROVIDER_KEYS), ctx),
    allow: mergeAllow(defaults.auth.allow, readAllow(allow)),
    accessTokenTtlMs: f.duration("accessTokenTtl") ?? (parseDuration(defaults.auth.accessTokenTtl) as number),
    refreshTokenTtlMs: f.duration("refreshTokenTtl") ?? (parseDuration(defaults.auth.refreshTokenTtl) as number),
  };
}

import { isIP } from "node:net";

/** A string format: a predicate and the words for what was expected. */
export type Format = { readonly expected: string; readonly test: (value: string) => boolean };

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const HOSTNAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`, "i");
const SERVER_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function parsedUrl(value: string, protocols: readonly string[]): URL | undefined {
  const url = URL.parse(value);
  return url && protocols.includes(url.protocol) ? url : undefined;
}

function isIpOrCidr(value: string): boolean {
  const [address, prefix, ...rest] = value.split("/");
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

export const nonEmpty: Format = {
  expected: "a non-empty string",
  test: (value) => value !== "",
};

export const serverName: Format = {
  expected:
    'a DNS label (lowercase a-z, 0-9 and "-", 1-63 characters, not starting or ending with "-") because server names become hostnames (NAME.DOMAIN)',
  test: (value) => SERVER_NAME.test(value),
};

export const hostname: Format = {
  expected: 'a hostname like "mcp.example.com"',
  test: (value) => HOSTNAME.test(value),
};

export const listenHost: Format = {
  expected: 'an IP address or hostname like "127.0.0.1"',
  test: (value) => isIP(value) !== 0 || HOSTNAME.test(value),
};

export const httpUrl: Format = {
  expected: "an http or https URL",
  test: (value) => parsedUrl(value, ["http:", "https:"]) !== undefined,
};

export const redisUrl: Format = {
  expected: 'a redis:// or rediss:// URL like "redis://127.0.0.1:6379"',
  test: (value) => parsedUrl(value, ["redis:", "rediss:"]) !== undefined,
};

export const redisKeyPrefix: Format = {
  expected: 'letters, digits, "_", ".", "-" and ":", ending with ":", like "mcp-fleet:" (at most 64 characters)',
  test: (value) => /^[A-Za-z0-9_.:-]{0,63}:$/.test(value),
};

export const origin: Format = {
  expected: 'an origin like "https://app.example.com" (scheme, host and port only)',
  test: (value) => parsedUrl(value, ["http:", "https:"])?.origin === value,
};

export const ipOrCidr: Format = {
  expected: 'an IP address or CIDR range like "10.0.0.0/8"',
  test: isIpOrCidr,
};

export const email: Format = {
  expected: 'an email address like "alice@example.com"',
  test: (value) => /^[^\s@]+@[^\s@]+$/.test(value),
};

export const githubOrg: Format = {
  expected: 'a GitHub organization "org" or team "org:team"',
  test: (value) => /^[A-Za-z0-9][A-Za-z0-9-]{0,38}(?::[A-Za-z0-9._-]+)?$/.test(value),
};

export const memorySize: Format = {
  expected: 'a memory size like "512M" or "1G" (K, M or G)',
  test: (value) => /^[1-9]\d*[KMG]$/.test(value),
};

/** A Kubernetes volume size, as `mcp-fleet k8s` asks for it (a server's "volume"). */
export const volumeSize: Format = {
  expected: 'a volume size like "500Mi" or "2Gi" (Mi, Gi or Ti)',
  test: (value) => /^[1-9]\d*(Mi|Gi|Ti)$/.test(value),
};

export const passwordHash: Format = {
  expected: 'a password hash starting with "scrypt$"',
  test: (value) => value.startsWith("scrypt$") && value.length > "scrypt$".length,
};

export const userName: Format = {
  expected: 'a user name of letters, digits, ".", "_", "@" or "-"',
  test: (value) => /^[A-Za-z0-9._@-]{1,128}$/.test(value),
};

import type { Identity } from '@mcp-fleet/bridge';

// `"forwardIdentity": true`: who the signed-in user is reaches the MCP server,
// as environment variables of a stdio server's session child, or as request
// headers to a `url` server. Headers of this shape sent by a client are always
// dropped, so a server can trust them.

export const IDENTITY_HEADER_PREFIX = 'x-mcp-user-';
export const SUBJECT_HEADER = 'x-mcp-user-subject';
export const EMAIL_HEADER = 'x-mcp-user-email';

/** Header values are visible ASCII; anything else (a UTF-8 email) is percent-encoded. */
function headerValue(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return value;
  const percent = (char: string) => [...Buffer.from(char, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  return value.replace(/[^\x20-\x7e]/gu, percent);
}

/** The environment of a session's child: MCP_USER_EMAIL is empty when the provider gave no email. */
export function identityEnvironment(identity: Identity): Record<string, string> {
  return { MCP_USER_SUBJECT: identity.subject, MCP_USER_EMAIL: identity.email ?? '' };
}

/** Sets the identity headers on an upstream request's headers. */
export function setIdentityHeaders(headers: Record<string, unknown>, identity: { subject: string; email?: string }): void {
  headers[SUBJECT_HEADER] = headerValue(identity.subject);
  if (identity.email) headers[EMAIL_HEADER] = headerValue(identity.email);
}

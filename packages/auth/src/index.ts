// The public surface of @mcp-fleet/auth: one server's authorization server,
// resource server, sign-in and storage. Named exports only.
export { createServerAuth, publicJwks } from './server-auth.ts';
export type { ServerAuth, ServerAuthOptions } from './server-auth.ts';
export { createSignInMethods } from './sign-in-setup.ts';
export type { SignInOptions } from './sign-in-setup.ts';
export { openStorage } from './open-storage.ts';
export type { OpenedStorage, OpenStorageOptions } from './open-storage.ts';
export { StorageError } from './storage/errors.ts';
export { STORAGE_USER_ENV } from './storage/redis-connection.ts';
export { rotateSigningKeys } from './rotate-signing-keys-on-demand.ts';
export type { RotationResult } from './storage/stored-jwks.ts';
export { resourceUrlsFor, MCP_SCOPE } from './resource-urls.ts';
export type { ResourceUrls } from './resource-urls.ts';
export { REFRESH_REPLAY_GRACE_SECONDS } from './refresh-grace.ts';
export { UNUSED_CLIENT_TTL_SECONDS } from './client-expiry.ts';
export { REGISTRATIONS_PER_ADDRESS, REGISTRATIONS_PER_SERVER } from './registration-limiter.ts';
export type { RegistrationLimits } from './registration-limiter.ts';
export { refuseRedirectUri } from './redirect-uri-refusal.ts';
export { TokenVerifier } from './token-verifier.ts';
export type { VerifiedToken } from './token-verifier.ts';
export { BearerError, bearerErrors, serverErrorBody } from './errors.ts';
export { callbackUrl, hashPassword } from './upstream/index.ts';
export { TrustedProxies } from './trusted-proxies.ts';
export { clientAddressKey } from './client-address-key.ts';

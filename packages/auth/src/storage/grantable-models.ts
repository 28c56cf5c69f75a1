/**
 * Models whose rows belong to a grant and go when it is revoked, as in
 * oidc-provider's own memory adapter. Interaction also carries a grantId but
 * is not indexed: it is a pending sign-in, not a credential.
 */
export const GRANTABLE_MODELS: ReadonlySet<string> = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

export function grantIdFor(model: string, payload: { grantId?: string | undefined }): string | undefined {
  return GRANTABLE_MODELS.has(model) && typeof payload.grantId === 'string' ? payload.grantId : undefined;
}

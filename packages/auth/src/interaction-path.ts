/** Where oidc-provider sends the browser for sign-in and consent (apart, so that routes need not load oidc-provider to know it). */
export const INTERACTION_PATH = '/interaction';

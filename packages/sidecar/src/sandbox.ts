// What `validate` and `up` ask before any sidecar starts: can this machine sandbox the
// servers' children? A door of its own, so the CLI loads the sandbox's probe and not the
// sidecar (fastify, oidc-provider) to answer it.
export { sandboxProblems } from '@mcp-fleet/bridge/sandbox';

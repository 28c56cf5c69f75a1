// The DESIGN.md example, made valid: placeholders replaced, secrets taken from the environment.

export const fullEnv = {
  MCP_OIDC_CLIENT_ID: "google-client-id.apps.googleusercontent.com",
  MCP_OIDC_CLIENT_SECRET: "google-very-secret",
  MCP_ALLOWED_USERS: "alice@example.com,Bob@Example.org",
  CONTEXT7_API_KEY: "ctx7-key-123",
  NOTION_TOKEN: "ntn_secret_456",
};

export function fullConfig() {
  return {
    fleet: {
      domain: "mcp.example.com",
      publicUrl: "https://{name}.mcp.example.com",
      host: "127.0.0.1",
      basePort: 8001,
      stateDir: "./state",
      auth: {
        providers: {
          google: { clientId: "${MCP_OIDC_CLIENT_ID}", clientSecret: "${MCP_OIDC_CLIENT_SECRET}" },
          github: { clientId: "Iv1.0123456789abcdef", clientSecret: "github-secret" },
          oidc: { issuer: "https://idp.example.com", clientId: "fleet", clientSecret: "oidc-secret" },
          password: { users: { alice: { passwordHash: "scrypt$16384$8$1$c2FsdA$aGFzaA" } } },
        },
        allow: { emails: ["${MCP_ALLOWED_USERS}"], domains: ["example.com"], githubOrgs: [] },
        accessTokenTtl: "1h",
        refreshTokenTtl: "30d",
      },
      storage: { kind: "sqlite" },
    },
    mcpServers: {
      context7: {
        command: "npx",
        args: ["-y", "@upstash/context7-mcp"],
        env: { CONTEXT7_API_KEY: "${CONTEXT7_API_KEY}" },
      },
      memory: { command: "npx", args: ["-y", "@modelcontextprotocol/server-memory"], isolation: "shared" },
      notion: { url: "http://127.0.0.1:9090/mcp", headers: { Authorization: "Bearer ${NOTION_TOKEN}" } },
    },
  };
}

/** A one-server config with `fleet` and the server merged over it. */
export function minimalConfig(fleet: object = {}, server: object = {}) {
  return { fleet, mcpServers: { alpha: { command: "node", args: ["server.js"], ...server } } };
}

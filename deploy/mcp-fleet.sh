#!/bin/sh
# mcp-fleet — the CLI as the systemd service sees it. Installed by
# bootstrap-debian.sh as /usr/local/bin/mcp-fleet, so an operator can type
#   sudo mcp-fleet status | restart NAME | logs NAME | redirect-uris | caddyfile ...
# with the service's config, secrets, pm2 home and user.
set -eu

app_dir=${MCP_FLEET_APP_DIR:-/opt/mcp-fleet}
env_file=${MCP_FLEET_ENV_FILE:-/etc/mcp-fleet/env}
service_user=${MCP_FLEET_USER:-mcp-fleet}
: "${MCP_FLEET_CONFIG:=/etc/mcp-fleet/fleet.json}"
: "${PM2_HOME:=/var/lib/mcp-fleet/pm2}"
export MCP_FLEET_CONFIG PM2_HOME
# Same order as the unit: Node 24 from the npm registry first, then NodeSource's.
PATH=/opt/node24/bin:$PATH
export PATH

cli="$app_dir/packages/fleet/src/main.ts"

if [ "$(id -u)" -eq 0 ]; then
  # The secrets fleet.json expands (${VAR}) live in a root-only file that systemd
  # reads for the service; read it the same way (KEY=VALUE lines, # comments).
  if [ -r "$env_file" ]; then
    set -a
    # shellcheck disable=SC1090 # operator-provided file, path known at run time only
    . "$env_file"
    set +a
  fi
  # Run as the service user: pm2's daemon socket and logs in PM2_HOME belong to it,
  # and files the CLI creates in stateDir must stay readable by the service.
  if [ "$service_user" != root ] && id -u "$service_user" >/dev/null 2>&1; then
    exec runuser -u "$service_user" -- env PATH="$PATH" HOME="$(getent passwd "$service_user" | cut -d: -f6)" \
      node "$cli" "$@"
  fi
fi
exec node "$cli" "$@"

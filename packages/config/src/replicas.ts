import { isIPv6 } from "node:net";
import type { ServerConfig } from "./types.ts";

/**
 * Replica r of a server listens on `port + r * REPLICA_PORT_STRIDE`: replica 0 keeps the
 * server's own port (one-replica fleets are unchanged), and with the default basePort the
 * replicas of up to 1000 servers never meet another server's port. The rules check it.
 */
export const REPLICA_PORT_STRIDE = 1000;

/** The id a replica puts in front of its session ids and in /health: "r0".."r15". */
export function replicaId(replica: number): string {
  return `r${replica}`;
}

/** The replica number a session id names ("r1.<random>" -> 1), or undefined for any other id. */
export function replicaOfSessionId(sessionId: string): number | undefined {
  const match = /^r(\d{1,2})\./.exec(sessionId);
  return match ? Number(match[1]) : undefined;
}

/** The port replica `replica` (0-based) of `server` listens on. */
export function replicaPort(server: Pick<ServerConfig, "port">, replica: number): number {
  return server.port + replica * REPLICA_PORT_STRIDE;
}

/** The fleet.hosts name replica `replica` runs on (spread round-robin), or undefined: this machine. */
export function replicaHost(server: Pick<ServerConfig, "hosts">, replica: number): string | undefined {
  return server.hosts.length === 0 ? undefined : server.hosts[replica % server.hosts.length];
}

/** The address replica `replica` listens on: its host's address, or the fleet's listen host. */
export function replicaAddress(config: { readonly hosts: Readonly<Record<string, { readonly address: string }>> }, server: Pick<ServerConfig, "hosts" | "host">, replica: number): string {
  const host = replicaHost(server, replica);
  return host === undefined ? server.host : config.hosts[host]?.address ?? server.host;
}

/** 0..replicas-1. */
export function replicaNumbers(server: Pick<ServerConfig, "replicas">): number[] {
  return Array.from({ length: server.replicas }, (_, replica) => replica);
}

/** `host:port` to reach what listens on `address`: a wildcard listen address is this machine's loopback. */
export function dialAddress(address: string, port: number): string {
  let host = address.replace(/^\[|\]$/g, "");
  if (host === "0.0.0.0") host = "127.0.0.1";
  if (host === "::") host = "::1";
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Where replica `replica` of `server` is reached: its address (fleet.hosts placement) and port. */
export function replicaDialAddress(config: { readonly hosts: Readonly<Record<string, { readonly address: string }>> }, server: Pick<ServerConfig, "hosts" | "host" | "port">, replica: number): string {
  return dialAddress(replicaAddress(config, server, replica), replicaPort(server, replica));
}

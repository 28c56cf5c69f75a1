import type { JsonRpcId, JsonRpcMessage } from './json-rpc.ts';

/**
 * What one session talks to: its own child (session isolation) or its port on
 * the shared child. Mirrors the MCP SDK's Transport: send down, callbacks up.
 */
export interface Upstream {
  send(message: JsonRpcMessage, line?: string): void;
  /** A message from the server for this session. */
  onmessage?: (message: JsonRpcMessage, line?: string) => void;
  /** The server is gone for this session for good: the session ends. */
  onclose?: (reason: string) => void;
  /** The server lost what was in flight but the session goes on (a shared child restarting). */
  oninterrupt?: (reason: string) => void;
  /** Why requests cannot be served right now (HTTP 503), or undefined when they can. */
  unavailableReason?(): string | undefined;
  /** The session gave up on this request (it timed out and was cancelled): forget what is kept for it. */
  abandon?(id: JsonRpcId): void;
  close(): Promise<void>;
}

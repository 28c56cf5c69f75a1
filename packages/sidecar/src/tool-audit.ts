import type { FastifyBaseLogger } from 'fastify';
import type { SidecarMetrics, ToolCallOutcome } from './sidecar-metrics.ts';

/** What the audit line says about one `tools/call`: never its arguments or its result. */
export interface ToolCallRecord {
  tool: string;
  durationMs: number;
  outcome: ToolCallOutcome;
  /** The JSON-RPC error code the call failed with, if any. */
  errorCode?: number;
}

/** Longest tool name written to the log (the name comes from the client). */
const MAX_TOOL_NAME = 200;

/**
 * One audit line per `tools/call` (`msg: "tools/call"`) and its latency in the
 * histogram. `log` carries the server, session and user subject as bindings:
 * a request's logger (url servers) or a session's (`sessionAuditLogger`).
 */
export function auditToolCall(log: FastifyBaseLogger, metrics: SidecarMetrics, call: ToolCallRecord, reqId?: string): void {
  metrics.observeToolCall(call.outcome, call.durationMs);
  const line: Record<string, unknown> = {
    reqId,
    tool: call.tool.length > MAX_TOOL_NAME ? call.tool.slice(0, MAX_TOOL_NAME) : call.tool,
    durationMs: Math.round(call.durationMs * 100) / 100,
    outcome: call.outcome,
  };
  if (call.errorCode !== undefined) line.errorCode = call.errorCode;
  log.info(line, 'tools/call');
}

/**
 * A stdio server's audit logger for one session, made once: its bindings
 * (session, user, OAuth client) are serialized when the session's first call
 * ends, not on every call. Keyed by the session's identity object, which
 * lives as long as the session.
 */
export function sessionAuditLogger(root: FastifyBaseLogger) {
  const loggers = new WeakMap<object, FastifyBaseLogger>();
  return (call: { sessionId: string; identity: { subject: string; clientId?: string } }): FastifyBaseLogger => {
    let log = loggers.get(call.identity);
    if (!log) {
      log = root.child({ session: call.sessionId, user: call.identity.subject, client: call.identity.clientId });
      loggers.set(call.identity, log);
    }
    return log;
  };
}

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
 * histogram. `log` carries the server and, as bindings or in `context`, the
 * session and user subject.
 */
export function auditToolCall(log: FastifyBaseLogger, metrics: SidecarMetrics, call: ToolCallRecord, context?: { session: string; user: string; client?: string }): void {
  metrics.observeToolCall(call.outcome, call.durationMs);
  const line: Record<string, unknown> = {
    ...context,
    tool: call.tool.length > MAX_TOOL_NAME ? call.tool.slice(0, MAX_TOOL_NAME) : call.tool,
    durationMs: Math.round(call.durationMs * 100) / 100,
    outcome: call.outcome,
  };
  if (call.errorCode !== undefined) line.errorCode = call.errorCode;
  log.info(line, 'tools/call');
}

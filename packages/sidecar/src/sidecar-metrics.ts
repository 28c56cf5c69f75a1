import { logLinesDropped } from './buffered-log-stream.ts';
import { ExpositionWriter, Histogram } from './prometheus-text.ts';

/** Tool call latency buckets, in seconds: from a fast local lookup to a slow remote API. */
const TOOL_CALL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export type ToolCallOutcome = 'ok' | 'error' | 'cancelled';

/** Read when /metrics is scraped, never on the request path. */
export interface MetricsSnapshot {
  /** Open MCP sessions. */
  sessions: number;
  /** stdio servers: running children (warm spares included). */
  children?: number;
  /** stdio servers: children that exited unasked, and shared children restarted. */
  childCrashes?: number;
  childRestarts?: number;
  /** url servers: whether the upstream answered its last probe. */
  upstreamUp?: number;
  /** stdio servers: child requests for input that no single stateless client request could own (answered with an error). */
  unattributedInput?: number;
  /** Client connections open now (connection-guard.ts). */
  connections?: number;
}

/** Why a connection was closed at accept: its address held its share, or the sidecar all it may. */
export type ConnectionRefusal = 'per_address' | 'total';
/** Why a request was cut before it was in: its body stalled, or its headers or whole request took too long. */
export type RequestCut = 'idle_body' | 'timeout';

/**
 * One sidecar's counters. The request path only bumps numbers in nested
 * Maps keyed by route, method and status (no key strings built per request);
 * the text is written when /metrics is scraped.
 */
export class SidecarMetrics {
  readonly #server: string;
  /** route -> method -> status -> count */
  readonly #requests = new Map<string, Map<string, Map<number, number>>>();
  readonly #toolCalls = new Map<ToolCallOutcome, Histogram>();
  readonly #authFailures = new Map<string, number>();
  readonly #eras = new Map<string, number>();
  readonly #securityEvents = new Map<string, number>();
  readonly #connectionsRefused = new Map<ConnectionRefusal, number>();
  readonly #requestsCut = new Map<RequestCut, number>();

  constructor(server: string) {
    this.#server = server;
  }

  countRequest(route: string, method: string, status: number): void {
    let methods = this.#requests.get(route);
    if (!methods) this.#requests.set(route, methods = new Map());
    let statuses = methods.get(method);
    if (!statuses) methods.set(method, statuses = new Map());
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  }

  countEra(era: string): void {
    this.#eras.set(era, (this.#eras.get(era) ?? 0) + 1);
  }

  observeToolCall(outcome: ToolCallOutcome, durationMs: number): void {
    let histogram = this.#toolCalls.get(outcome);
    if (!histogram) this.#toolCalls.set(outcome, histogram = new Histogram(TOOL_CALL_BUCKETS));
    histogram.observe(durationMs / 1000);
  }

  countAuthFailure(reason: string): void {
    this.#authFailures.set(reason, (this.#authFailures.get(reason) ?? 0) + 1);
  }

  countSecurityEvent(event: string): void {
    this.#securityEvents.set(event, (this.#securityEvents.get(event) ?? 0) + 1);
  }

  countConnectionRefused(reason: ConnectionRefusal): void {
    this.#connectionsRefused.set(reason, (this.#connectionsRefused.get(reason) ?? 0) + 1);
  }

  countRequestCut(reason: RequestCut): void {
    this.#requestsCut.set(reason, (this.#requestsCut.get(reason) ?? 0) + 1);
  }

  render(snapshot: MetricsSnapshot): string {
    const server = this.#server;
    const out = new ExpositionWriter();
    out.family('mcp_http_requests_total', 'counter', 'HTTP requests answered, by route, method and status.');
    for (const [route, methods] of this.#requests) {
      for (const [method, statuses] of methods) {
        for (const [status, count] of statuses) out.sample('mcp_http_requests_total', { server, route, method, status }, count);
      }
    }
    out.family('mcp_tool_call_duration_seconds', 'histogram', 'Time from a tools/call request to its response, by outcome.');
    for (const [outcome, histogram] of this.#toolCalls) histogram.write(out, 'mcp_tool_call_duration_seconds', { server, outcome });
    out.family('mcp_auth_failures_total', 'counter', 'MCP requests refused by the bearer token check, by reason.');
    for (const [reason, count] of this.#authFailures) out.sample('mcp_auth_failures_total', { server, reason }, count);
    out.family('mcp_requests_by_era_total', 'counter', 'POSTs to /mcp by protocol era: "2025" (sessions) or "2026-07-28" (stateless).');
    for (const [era, count] of this.#eras) out.sample('mcp_requests_by_era_total', { server, era }, count);
    if (snapshot.unattributedInput !== undefined) {
      out.family('mcp_stateless_unattributed_input_total', 'counter', 'Child requests for input that could not be tied to one stateless client request.')
        .sample('mcp_stateless_unattributed_input_total', { server }, snapshot.unattributedInput);
    }
    out.family('mcp_fleet_security_events_total', 'counter', 'Security events (sign-in success and failure, lockout, bearer refusal, ...), by kind; each also has a log line.');
    for (const [event, count] of this.#securityEvents) out.sample('mcp_fleet_security_events_total', { server, event }, count);
    if (snapshot.connections !== undefined) {
      out.family('mcp_connections', 'gauge', 'Client connections open now.').sample('mcp_connections', { server }, snapshot.connections);
    }
    out.family('mcp_connections_refused_total', 'counter', 'Connections closed at accept: the client address held its share (per_address), or the sidecar as many as its descriptors allow (total).');
    for (const [reason, count] of this.#connectionsRefused) out.sample('mcp_connections_refused_total', { server, reason }, count);
    out.family('mcp_requests_cut_total', 'counter', 'Requests cut before they were in: a body that stalled (idle_body), headers or a whole request over its time (timeout).');
    for (const [reason, count] of this.#requestsCut) out.sample('mcp_requests_cut_total', { server, reason }, count);
    out.family('mcp_sessions', 'gauge', 'Open MCP sessions.').sample('mcp_sessions', { server }, snapshot.sessions);
    if (snapshot.children !== undefined) {
      out.family('mcp_children', 'gauge', 'Running MCP server child processes, warm spares included.').sample('mcp_children', { server }, snapshot.children);
    }
    if (snapshot.childRestarts !== undefined) {
      out.family('mcp_child_restarts_total', 'counter', 'Shared MCP server children restarted after they died (in session isolation a dead child ends its session; see mcp_child_crashes_total).')
        .sample('mcp_child_restarts_total', { server }, snapshot.childRestarts);
    }
    if (snapshot.childCrashes !== undefined) {
      out.family('mcp_child_crashes_total', 'counter', 'MCP server children that exited without being asked to.')
        .sample('mcp_child_crashes_total', { server }, snapshot.childCrashes);
    }
    if (snapshot.upstreamUp !== undefined) {
      out.family('mcp_upstream_up', 'gauge', 'Whether the HTTP MCP server answered the last health probe (1) or not (0).')
        .sample('mcp_upstream_up', { server }, snapshot.upstreamUp);
    }
    out.family('mcp_fleet_log_lines_dropped_total', 'counter', 'Log lines dropped because stdout was not drained (the request path never waits for the log).')
      .sample('mcp_fleet_log_lines_dropped_total', {}, logLinesDropped());
    const memory = process.memoryUsage();
    out.family('process_resident_memory_bytes', 'gauge', 'Resident memory of the sidecar process.').sample('process_resident_memory_bytes', {}, memory.rss);
    // Where the resident memory is: V8's heap (used of total), and memory held outside it (Buffers).
    out.family('nodejs_heap_size_used_bytes', 'gauge', 'Live objects in the V8 heap after the last collection, and garbage since.').sample('nodejs_heap_size_used_bytes', {}, memory.heapUsed);
    out.family('nodejs_heap_size_total_bytes', 'gauge', 'Memory V8 has reserved for its heap.').sample('nodejs_heap_size_total_bytes', {}, memory.heapTotal);
    out.family('nodejs_external_memory_bytes', 'gauge', 'Memory of objects outside the V8 heap (Buffers among them).').sample('nodejs_external_memory_bytes', {}, memory.external);
    out.family('process_start_time_seconds', 'gauge', 'When the sidecar started, in seconds since the Unix epoch.')
      .sample('process_start_time_seconds', {}, Math.floor(Date.now() / 1000 - process.uptime()));
    return out.text();
  }
}

// A 2026-07-28 retry (inputResponses + requestState) must reach the replica whose child
// holds the parked request: the child's state lives in that process, not in Redis. Behind
// a load balancer the retry may land on any replica, so the one it lands on hands it over.
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JsonRpcMessage } from '../json-rpc.ts';
import type { Identity } from '../session.ts';
import { channelOwner } from './channel-table.ts';
import type { ChannelTable } from './channel-table.ts';

/** Set on a handed-over request: the replica it reaches answers it itself, so a misconfigured address cannot loop. */
export const HANDED_OVER_HEADER = 'x-mcp-fleet-handed-over';

/** Headers a retry needs at the other replica: its token, its era, what it accepts. */
const KEPT_HEADERS = ['authorization', 'content-type', 'accept', 'mcp-protocol-version'];

/**
 * The replica that issued the request's (valid, caller's own) requestState, when it is not
 * this one; undefined when this replica should answer (no state, a bad state, its own).
 */
export function replicaHoldingState(table: ChannelTable, message: JsonRpcMessage, identity: Identity, request: FastifyRequest): string | undefined {
  const state = message.params?.requestState;
  if (state === undefined || request.headers[HANDED_OVER_HEADER] !== undefined) return undefined;
  const verified = table.signer.verify(state, channelOwner(identity));
  if (typeof verified === 'string' || verified.replica === table.replicaId) return undefined;
  return verified.replica;
}

/**
 * Sends the retry to `origin` (the holding replica) and streams its answer back as it
 * comes (JSON or SSE). False when that replica cannot be reached: the caller answers.
 */
export async function handOverRetry(request: FastifyRequest, reply: FastifyReply, origin: string): Promise<boolean> {
  const headers: Record<string, string> = { [HANDED_OVER_HEADER]: '1' };
  for (const name of KEPT_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  let answer: Response;
  try {
    answer = await fetch(new URL(request.url, origin), { method: 'POST', headers, body: JSON.stringify(request.body) });
  } catch (error) {
    request.log.warn({ origin, err: { code: (error as { cause?: { code?: string } }).cause?.code } }, 'the replica holding a requestState cannot be reached');
    return false;
  }
  reply.hijack();
  const kept: Record<string, string> = {};
  for (const name of ['content-type', 'cache-control', 'mcp-protocol-version']) {
    const value = answer.headers.get(name);
    if (value !== null) kept[name] = value;
  }
  reply.raw.writeHead(answer.status, kept);
  if (!answer.body) {
    reply.raw.end();
    return true;
  }
  const body = Readable.fromWeb(answer.body as import('node:stream/web').ReadableStream);
  body.on('error', () => reply.raw.destroy());
  reply.raw.on('close', () => body.destroy());
  body.pipe(reply.raw);
  return true;
}

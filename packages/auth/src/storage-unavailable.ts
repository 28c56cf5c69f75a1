import type { FastifyReply } from 'fastify';
import type Provider from 'oidc-provider';
import { storageErrors } from './storage/errors.ts';

/** How long a client should wait before retrying: ioredis retries at most 2 s apart. */
const RETRY_AFTER_SECONDS = 5;

/** The OAuth error body while the storage is down: `server_error`, and the code an operator can grep for. */
export const STORAGE_UNAVAILABLE = {
  error: 'server_error',
  error_description: 'the authorization server cannot reach its storage; try again shortly',
  code: storageErrors.AUTH_ERR_STORAGE_UNAVAILABLE.code,
} as const;

export function refuseStorageUnavailable(reply: FastifyReply): FastifyReply {
  return reply.code(503).headers({ 'cache-control': 'no-store', 'retry-after': String(RETRY_AFTER_SECONDS) })
    .type('application/json').send(STORAGE_UNAVAILABLE);
}

/**
 * For oidc-provider: a request that failed because the storage went away while
 * it ran (its 500 `server_error`) becomes the same 503 as one refused up front.
 */
export function answerStorageOutage(provider: Provider, isAvailable: () => boolean): void {
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.status < 500 || isAvailable()) return;
    ctx.status = 503;
    ctx.set('cache-control', 'no-store');
    ctx.set('retry-after', String(RETRY_AFTER_SECONDS));
    ctx.type = 'application/json';
    ctx.body = STORAGE_UNAVAILABLE;
  });
}

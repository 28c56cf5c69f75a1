import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger } from 'fastify';
import { DeferredRequestLogger, deferredRequestLoggers } from '../src/deferred-request-logger.ts';

/** Counts the children made from `logger` itself (pino's children inherit the counting method, and are not counted). */
function countChildren(logger: FastifyBaseLogger): { children: number } {
  const counted = { children: 0 };
  const child = logger.child;
  logger.child = function (this: FastifyBaseLogger, ...args: Parameters<typeof child>) {
    if (this === logger) counted.children += 1;
    return child.apply(this, args);
  };
  return counted;
}

/** fastify's pino (not a dependency of ours of its own) writing JSON lines to memory. */
function capturedPino(level = 'info') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const logger = Fastify({ logger: { level, stream } }).log;
  return { logger, lines, counted: countChildren(logger), parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

test('a request that writes no line never makes a pino child, whatever is bound to it', () => {
  const { logger, lines, counted } = capturedPino();
  const log = new DeferredRequestLogger(logger, { reqId: 'r-1' });
  log.setBindings({ user: 'alice', client: 'c-1' });
  log.setBindings({ session: 's-1' });
  log.debug({ detail: 1 }, 'below the level');
  log.trace('below the level');
  assert.equal(counted.children, 0);
  assert.deepEqual(lines, []);
  assert.equal(log.isLevelEnabled('debug'), false);
  assert.equal(log.isLevelEnabled('warn'), true);
  assert.equal(log.level, 'info');
});

test('the line written is the one pino\'s child would write: every binding once, the latest value of each', () => {
  const { logger, parsed, lines } = capturedPino();
  const server = logger.child({ server: 'memory' });
  const counted = countChildren(server);
  const log = new DeferredRequestLogger(server, { reqId: 'r-2' });
  log.setBindings({ user: 'alice', era: '2025' });
  log.setBindings({ era: '2026-07-28' });
  log.warn({ reason: 'x' }, 'first line');
  log.setBindings({ session: 's-2' });
  log.error(new Error('boom'));
  assert.equal(counted.children, 1, 'the request\'s child, made for the first line');
  const [first, second] = parsed();
  assert.deepEqual({ ...first, time: 0, pid: 0, hostname: '' }, {
    level: 40, time: 0, pid: 0, hostname: '', server: 'memory', reqId: 'r-2', user: 'alice', era: '2026-07-28', reason: 'x', msg: 'first line',
  });
  assert.equal(lines[0].split('"era"').length, 2, 'era appears once');
  assert.equal(second.session, 's-2', 'bindings added after the first line still apply');
  assert.equal(second.reqId, 'r-2');
  assert.equal((second.err as { message: string }).message, 'boom');
  assert.deepEqual(log.bindings(), { server: 'memory', reqId: 'r-2', user: 'alice', era: '2026-07-28', session: 's-2' });
});

test('bindings() before any line is what the child will carry', () => {
  const { logger } = capturedPino();
  const log = new DeferredRequestLogger(logger.child({ server: 'memory' }), { reqId: 'r-3' });
  log.setBindings({ user: 'bob' });
  assert.deepEqual(log.bindings(), { server: 'memory', reqId: 'r-3', user: 'bob' });
});

test('a route with its own log level gets pino\'s child at once, and its level works', async () => {
  const { logger, lines } = capturedPino('info');
  const app = Fastify({ loggerInstance: logger, logController: new LogController({ disableRequestLogging: true }), childLoggerFactory: deferredRequestLoggers });
  app.get('/quiet', async (request) => {
    request.log.debug('not written at info');
    request.log.info({ route: 'quiet' }, 'written');
    return { deferred: request.log instanceof DeferredRequestLogger };
  });
  app.get('/verbose', { logLevel: 'debug' }, async (request) => {
    request.log.debug('written at the route\'s level');
    return { deferred: request.log instanceof DeferredRequestLogger };
  });
  try {
    assert.deepEqual((await app.inject('/quiet')).json(), { deferred: true });
    assert.deepEqual((await app.inject('/verbose')).json(), { deferred: false });
    const written = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => typeof line.reqId === 'string');
    assert.deepEqual(written.map((line) => line.msg), ['written', 'written at the route\'s level']);
    assert.ok(written[0].reqId !== written[1].reqId, 'each request its own id');
  } finally {
    await app.close();
  }
});

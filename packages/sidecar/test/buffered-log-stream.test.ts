// The log buffer's bound is in bytes, as its writes are: lines of non-ASCII text are
// counted at their encoded size, and the bound stays where it was after they are written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferedLogStream, logLinesDropped } from '../src/buffered-log-stream.ts';

test('non-ASCII lines count their bytes against the bound, burst after burst', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'mcp-fleet-log-')), 'out.log');
  const fd = openSync(file, 'w');
  t.after(() => closeSync(fd));
  const stream = new BufferedLogStream({ fd, maxPendingBytes: 1000 });
  const line = `${'é'.repeat(100)}\n`; // 101 characters, 201 bytes
  const burst = () => {
    const before = logLinesDropped();
    for (let i = 0; i < 10; i++) stream.write(line);
    return logLinesDropped() - before;
  };
  assert.equal(burst(), 6, 'four lines (804 bytes) fit under 1000 bytes; the other six are dropped');
  // Both writes go out: the burst's four lines, then the line about the six dropped.
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(burst(), 6, 'the written bytes were given back exactly: the bound is where it was');
  await new Promise((resolve) => setTimeout(resolve, 500));
  const written = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  assert.equal(written.filter((entry) => entry === line.trim()).length, 8);
  assert.deepEqual(written.filter((entry) => entry.includes('log lines dropped')).map((entry) => JSON.parse(entry).dropped), [6, 6]);
});

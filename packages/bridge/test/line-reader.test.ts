import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineReader } from '../src/line-reader.ts';

function collect(maxLineBytes = 1024) {
  const lines: string[] = [];
  const overflows: number[] = [];
  const reader = new LineReader({ maxLineBytes, online: (line) => lines.push(line), onoverflow: (bytes) => overflows.push(bytes) });
  return { reader, lines, overflows };
}

test('splits lines across chunk boundaries, including a multi-byte character cut in two', () => {
  const { reader, lines } = collect();
  const bytes = Buffer.from('{"a":"é"}\n{"b":2}\r\n\n{"c"');
  reader.push(bytes.subarray(0, 7));
  reader.push(bytes.subarray(7, 15));
  reader.push(bytes.subarray(15));
  reader.push(Buffer.from(':3}\n'));
  assert.deepEqual(lines, ['{"a":"é"}', '{"b":2}', '{"c":3}']);
});

test('a line longer than the cap is dropped whole and reported, and reading goes on', () => {
  const { reader, lines, overflows } = collect(8);
  reader.push(Buffer.from('0123456789abcdef'));
  reader.push(Buffer.from('more of it'));
  reader.push(Buffer.from('tail\nok\n'));
  assert.equal(overflows.length, 1);
  assert.deepEqual(lines, ['ok']);
});

test('flush emits an unterminated last line', () => {
  const { reader, lines } = collect();
  reader.push(Buffer.from('last words'));
  reader.flush();
  assert.deepEqual(lines, ['last words']);
});

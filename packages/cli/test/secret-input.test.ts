/**
 * Reading a secret from stdin: from a terminal it is typed without echo (only the prompt and a
 * line end are written), backspace edits it and Ctrl-C cancels; from a pipe it is read whole,
 * bounded, less one final line end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { readSecret } from '../src/secret-input.ts';

function terminal() {
  const input = Object.assign(new PassThrough(), {
    isTTY: true,
    raw: [] as boolean[],
    setRawMode(r: boolean) {
      input.raw.push(r);
      return input;
    },
  });
  let written = '';
  const output = new PassThrough();
  output.on('data', (c) => (written += c));
  return { input, output, written: () => written };
}

test('typed at a terminal: nothing but the prompt is echoed, backspace edits, Enter ends', async () => {
  const t = terminal();
  const p = readSecret('Token: ', { max: 100, input: t.input, output: t.output });
  t.input.write('asp_sx');
  t.input.write('\x7fecret\r');
  assert.equal(await p, 'asp_secret');
  assert.equal(t.written(), 'Token: \n');
  assert.deepEqual(t.input.raw, [true, false], 'raw mode is switched off again');
});

test('Ctrl-C at a terminal cancels and restores the terminal', async () => {
  const t = terminal();
  const p = readSecret('Token: ', { max: 100, input: t.input, output: t.output });
  t.input.write('asp_\x03');
  await assert.rejects(p, /cancelled/);
  assert.deepEqual(t.input.raw, [true, false]);
  assert.doesNotMatch(t.written(), /asp_/);
});

test('typing past the bound is refused', async () => {
  const t = terminal();
  const p = readSecret('', { max: 4, input: t.input, output: t.output });
  t.input.write('abcdef\r');
  await assert.rejects(p, /longer than 4 characters/);
  assert.deepEqual(t.input.raw, [true, false]);
});

test('from a pipe: all of it less one final line end, and bounded', async () => {
  assert.equal(
    await readSecret('', { max: 100, input: Readable.from([Buffer.from('asp_'), Buffer.from('abc\r\n')]) }),
    'asp_abc',
  );
  assert.equal(
    await readSecret('', { max: 100, input: Readable.from([Buffer.from('line1\nline2\n\n')]) }),
    'line1\nline2\n',
  );
  await assert.rejects(
    readSecret('', { max: 5, input: Readable.from([Buffer.from('abc'), Buffer.from('def')]) }),
    /more than 5 bytes on stdin/,
  );
});

/** Fuzzing the protocol reader on a real socket (test/fuzz/targets/protocol.ts, protocol-trickle.ts). */
import { test } from 'node:test';
import { assertTarget } from './harness/run.ts';

test('protocol lines, random and hostile, cut and paced at random: readLines never throws or hangs, each line is its message or the one violation', {
  timeout: 300_000,
}, async () => {
  await assertTarget('protocol');
});

// readLines kept one Buffer per read of an unfinished line (~200 bytes of heap per byte when a
// handler writes a byte at a time); it now copies the line into one buffer that doubles as it fills.
test('a line sent one byte per read: readLines keeps memory in proportion to the bytes, not the reads', {
  timeout: 300_000,
}, async () => {
  await assertTarget('protocol-trickle');
});

/**
 * The protocol reader's memory per byte of an unfinished line, when the line arrives one byte per
 * read (a handler writing a byte at a time with pauses): what it keeps must grow with the bytes,
 * not with the reads. The line limit counts bytes; a reader that keeps every read's Buffer holds
 * ~200 bytes of heap per byte, so a line far under the limit can exhaust the platform's memory.
 */
import { setImmediate as tick } from 'node:timers/promises';
import fc from 'fast-check';
import * as lines from '../../../packages/platform/src/runtime/protocol/lines.ts';
import { FuzzFailure, type FuzzTarget } from '../harness/target.ts';
import { closeServer, gc, pair, socketServer, writable, type Ctx } from './protocol.ts';

interface Input {
  bytes: number;
  byte: number;
}

/** Retained bytes allowed per byte received: the line's bytes themselves, plus slack for a few chunk objects. */
const PER_BYTE = 16;

const target: FuzzTarget<Input, Ctx> = {
  setup: socketServer,
  teardown: closeServer,
  arbitrary: () =>
    fc.record({ bytes: fc.integer({ min: 20_000, max: 50_000 }), byte: fc.integer({ min: 0x20, max: 0x7e }) }),
  preview: (x) => `${x.bytes} bytes of ${JSON.stringify(String.fromCharCode(x.byte))}, one per write, no newline`,
  async check(x, ctx) {
    const { reader, writer } = await pair(ctx);
    let reads = 0;
    reader.on('data', () => reads++);
    const events: string[] = [];
    lines.readLines(
      reader,
      () => events.push('message'),
      () => events.push('violation'),
    );
    await tick();
    gc();
    const m0 = process.memoryUsage();
    const one = Buffer.from([x.byte]);
    for (let i = 0; i < x.bytes && !writer.destroyed; i++) {
      if (!writer.write(one)) await writable(writer);
      await tick(); // one read per byte
    }
    await tick();
    gc();
    const m1 = process.memoryUsage();
    writer.destroy();
    reader.destroy();
    if (events.length) return; // refused (e.g. a cap on chunks per line): nothing kept after that
    const kept = m1.heapUsed - m0.heapUsed + (m1.arrayBuffers - m0.arrayBuffers);
    if (kept > PER_BYTE * x.bytes + 2 * 1024 * 1024) {
      throw new FuzzFailure(
        'memory per byte of an unfinished line grows with the reads',
        `${Math.round(kept / 1024)} KiB kept for ${x.bytes} bytes in ${reads} reads (${Math.round(kept / x.bytes)} bytes of memory per byte)`,
      );
    }
  },
};

export default target;

/**
 * The execution records' journal: each finished execution's row is appended to a local file
 * (one JSON line, a plain write(2): in the kernel's page cache, so a kill -9 of the platform does
 * not lose it) before its result is returned; the database write follows, batched, off the
 * caller's path. A segment file is deleted once every row in it is committed. Segments left by a
 * process that died are replayed into the database by the next platform process that starts on
 * the same data directory (recover()). See decision 010.
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** A new segment once the current one holds this many bytes (and is then deleted when committed). */
const SEGMENT_BYTES = 8 * 1024 * 1024;
const HOST = hostname().replace(/[^A-Za-z0-9.-]/g, '_');
/**
 * A process is its pid and its start time: in a restarted container the platform is pid 1 again
 * (and the hostname the same), so the pid alone would take a dead process's segment for its own.
 */
const SELF = `${process.pid}.${startTime(process.pid) ?? Date.now()}`;

export interface Segment {
  readonly path: string;
  appended: number;
  committed: number;
  bytes: number;
  fd: number | undefined;
}

export class RecordJournal {
  #current: Segment | undefined;
  #serial = 0;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** Appends one entry as a line; the segment it went to is what commit() is later told. */
  append(entry: unknown): Segment {
    return this.appendLine(JSON.stringify(entry));
  }

  /** Appends one line of JSON, serialized by the caller. */
  appendLine(json: string): Segment {
    const line = `${json}\n`;
    let seg = this.#current;
    if (!seg || seg.bytes >= SEGMENT_BYTES) {
      if (seg) this.#retire(seg);
      const path = join(this.dir, `${HOST}-${SELF}-${this.#serial++}.jsonl`);
      seg = this.#current = { path, appended: 0, committed: 0, bytes: 0, fd: openSync(path, 'a', 0o600) };
    }
    seg.bytes += writeSync(seg.fd!, line);
    seg.appended++;
    return seg;
  }

  /** `n` rows of `seg` are in the database. */
  commit(seg: Segment, n: number): void {
    seg.committed += n;
    if (seg !== this.#current && seg.committed >= seg.appended) unlinkSync(seg.path);
  }

  /** Closes the current segment; it is deleted when everything in it was committed, else kept for the next start. */
  close(): void {
    if (this.#current) this.#retire(this.#current);
    this.#current = undefined;
  }

  #retire(seg: Segment): void {
    if (seg.fd !== undefined) closeSync(seg.fd);
    seg.fd = undefined;
    if (seg.committed >= seg.appended) unlinkSync(seg.path);
  }

  /**
   * Segments of processes on this host that are no longer running, with their entries, each
   * first adopted (renamed atomically to a segment name of this process): when two processes
   * start at once, each segment goes to one of them, and one that dies while writing them out
   * leaves them as its own orphans for the next start. A torn last line (the process died inside
   * a write) is skipped: its result was never returned.
   */
  orphans(): Array<{ path: string; entries: unknown[] }> {
    const out: Array<{ path: string; entries: unknown[] }> = [];
    for (const name of readdirSync(this.dir)) {
      const m = /^(.+)-((\d+)\.(\d+))-\d+\.jsonl$/.exec(name);
      if (!m || m[1] !== HOST || m[2] === SELF || alive(Number(m[3]), m[4]!)) continue;
      const path = join(this.dir, `${HOST}-${SELF}-${this.#serial++}.jsonl`);
      try {
        renameSync(join(this.dir, name), path);
      } catch {
        continue; // another process adopted it first
      }
      const entries: unknown[] = [];
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          entries.push(JSON.parse(line));
        } catch {
          /* torn write at the end */
        }
      }
      out.push({ path, entries });
    }
    return out;
  }
}

/** Start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat), where there is a /proc. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

const HAS_PROC = existsSync('/proc/self/stat');

function alive(pid: number, started: string): boolean {
  if (HAS_PROC) return startTime(pid) === started;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// An escape probe: performs one attempt (input.metadata.step) with the language's own means and
// reports whether it worked. `ok: true` means the sandbox let it through. Kept in step with
// probe.py and probe.go: the same steps, the same meaning.
import fs from 'node:fs';
import net from 'node:net';
import dgram from 'node:dgram';
import dns from 'node:dns/promises';
import cp from 'node:child_process';

type Step = Record<string, any>;
type Outcome = { ok: boolean; detail: string };

const yes = (detail: unknown): Outcome => ({ ok: true, detail: String(detail).slice(0, 200) });
const no = (e: any): Outcome => ({ ok: false, detail: String(e?.code ?? e?.message ?? e).slice(0, 200) });
const attempt = async (fn: () => unknown): Promise<Outcome> => {
  try {
    return yes(await fn());
  } catch (e) {
    return no(e);
  }
};
const connect = (opts: net.NetConnectOpts) =>
  new Promise((res, rej) => {
    const s = net.connect(opts);
    s.once('connect', () => (s.destroy(), res('connected')));
    s.once('error', rej);
    setTimeout(() => (s.destroy(), rej(new Error('timeout'))), 1500);
  });

const steps: Record<string, (s: Step, ctx: any) => Promise<Outcome>> = {
  read: (s) => attempt(() => fs.readFileSync(s.path, 'utf8')),
  list: (s) => attempt(() => fs.readdirSync(s.path).join(',')),
  write: (s) => attempt(() => (fs.writeFileSync(s.path, 'x'), 'written')),
  tcp: (s) => attempt(() => connect({ host: s.host, port: s.port })),
  udp: (s) =>
    attempt(
      () =>
        new Promise((res, rej) => {
          const u = dgram.createSocket('udp4');
          u.send('x', s.port, s.host, (e) => (u.close(), e ? rej(e) : res('sent')));
        }),
    ),
  unix: (s) => attempt(() => connect({ path: s.path })),
  abstract: (s) => attempt(() => connect({ path: `\0${s.name}` })),
  dns: (s) => attempt(async () => JSON.stringify(await dns.lookup(s.name))),
  env: (s) => attempt(() => process.env[s.name] ?? Promise.reject(new Error('absent'))),
  secret: (s, ctx) => attempt(() => ctx.secrets[s.name] ?? Promise.reject(new Error('absent'))),
  signal: (s) => attempt(() => (process.kill(s.pid, 0), 'signalled')),
  // No ptrace from JavaScript: opening a process's memory is the same door.
  ptrace: (s) => attempt(() => (fs.closeSync(fs.openSync(`/proc/${s.pid}/mem`, 'r')), 'opened')),
  procs: () =>
    attempt(() => {
      const n = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).length;
      if (n < 20) throw new Error(`only ${n} processes visible`);
      return n;
    }),
  scan: (s) =>
    attempt(() => {
      for (const p of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
        for (const f of ['environ', 'cmdline']) {
          try {
            if (fs.readFileSync(`/proc/${p}/${f}`, 'utf8').includes(s.needle)) return `found in /proc/${p}/${f}`;
          } catch {
            /* gone */
          }
        }
      }
      if (JSON.stringify(process.env).includes(s.needle)) return 'found in env';
      throw new Error('not found');
    }),
  exec: (s) =>
    attempt(() => {
      const r = cp.spawnSync(s.argv[0], s.argv.slice(1), { encoding: 'utf8', timeout: 5000 });
      if (r.error) throw r.error;
      if (r.status !== 0) throw new Error(`exit ${r.status}: ${(r.stderr || r.stdout).trim()}`);
      return r.stdout;
    }),
  linger: async (s) => {
    cp.spawn('/bin/sleep', [String(s.seconds)], { detached: true, stdio: 'ignore' }).unref();
    await new Promise(() => undefined);
    return no('unreachable');
  },
  forkbomb: () =>
    attempt(async () => {
      let made = 0;
      for (let i = 0; i < 3000; i++) {
        const c = cp.spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
        await new Promise((r, j) => (c.once('spawn', r), c.once('error', j)));
        made++;
      }
      return `${made} processes`;
    }),
  membomb: () =>
    attempt(() => {
      const a: Buffer[] = [];
      for (let i = 0; i < 512; i++) a.push(Buffer.alloc(8 << 20, 1));
      return `${a.length * 8} MB`;
    }),
  diskfill: () =>
    attempt(() => {
      const chunk = Buffer.alloc(16 << 20, 7);
      for (let i = 0; i < 128; i++) fs.writeFileSync(`/scratch/fill${i}`, chunk);
      return '2 GB written';
    }),
  tool: (s, ctx) =>
    attempt(async () =>
      JSON.stringify(
        await ({ read: ctx.tools.read, write: ctx.tools.write, grep: ctx.tools.grep } as any)[s.op](s.args),
      ),
    ),
  bash: (s, ctx) =>
    attempt(async () => {
      const r = await ctx.tools.bash({ command: s.command, timeoutMs: s.timeoutMs ?? 8000 });
      if (r.exitCode !== 0) throw new Error(`exit ${r.exitCode}: ${(r.stderr || r.stdout).trim()}`);
      return r.stdout;
    }),
  // JavaScript makes no raw system call: a handler reaches the kernel through a program in the
  // sandbox — python3, running the step's helper (attempts.ts, PY_RAW).
  syscall: (s) =>
    attempt(() => {
      const { py, ...step } = s;
      const r = cp.spawnSync('/usr/bin/python3', ['-c', py, JSON.stringify(step)], {
        encoding: 'utf8',
        timeout: 10000,
      });
      if (r.error) throw r.error;
      if (r.signal) throw new Error(r.signal);
      const out = JSON.parse(r.stdout);
      if (!out.ok) throw new Error(out.detail);
      return out.detail;
    }),
  symlink: async (s, ctx) => {
    try {
      fs.symlinkSync(s.target, s.link);
    } catch (e) {
      return no(e);
    }
    return steps[s.then.do]!(s.then, ctx);
  },
};

export const handler = async (ctx: any) => {
  const s: Step = ctx.input.metadata.step;
  const run = steps[s.do];
  if (!run) return { success: false, message: `unknown step ${s.do}` };
  return { success: true, message: 'probed', data: await run(s, ctx) };
};

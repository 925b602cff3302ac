/**
 * Every command's options, walked from commander's tree: each one reaches the command that
 * declares it, wherever it stands after the subcommand — none is swallowed by a program-level
 * option of the same name (`aspora run x --version 1.2.0` printed the CLI's version and exited 0).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Command, Option } from 'commander';
import { buildProgram } from '../src/main.ts';
import { globalOptions } from '../src/program.ts';

type Walked = { cmd: Command; path: string[] };
const walk = (c: Command, path: string[] = []): Walked[] => [
  { cmd: c, path },
  ...c.commands.flatMap((s) => walk(s, [...path, s.name()])),
];
const hasAction = (c: Command) => Boolean((c as unknown as { _actionHandler?: unknown })._actionHandler);

/** Parses argv with every action replaced by one that captures the options the command received. */
async function parse(argv: string[]): Promise<{ path: string; opts: Record<string, unknown> } | { error: string }> {
  const program = buildProgram();
  program.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  let seen: { path: string; opts: Record<string, unknown> } | undefined;
  for (const { cmd, path } of walk(program).slice(1)) {
    if (hasAction(cmd))
      cmd.action((...args: unknown[]) => void (seen = { path: path.join(' '), opts: (args.at(-1) as Command).opts() }));
  }
  try {
    await program.parseAsync(['node', 'aspora', ...argv]);
  } catch (e) {
    return { error: (e as { code?: string }).code ?? String(e) };
  }
  return seen ?? { error: 'no action ran' };
}

/** A value the option accepts that differs from its default. */
function sample(o: Option): string {
  if (o.argChoices) return o.argChoices.find((c) => c !== o.defaultValue) ?? o.argChoices[0]!;
  if (/<(n|port|1-5)>/.test(o.flags)) return '3';
  if (o.flags.includes('<key=value>')) return 'k=v';
  if (o.flags.includes('<share>')) return '10';
  if (o.flags.includes('<list>')) return '10,25,50,100';
  if (o.flags.includes('<duration>')) return '48h';
  return '1.2.0';
}

/** What a command needs to parse at all: its required arguments, and its mandatory options with a value. */
function needs(cmd: Command): string[] {
  const args = cmd.registeredArguments
    .filter((a) => a.required)
    .map((a) => (a.name().includes('skill') || a.name() === 'target' ? 'fraud/x' : 'x'));
  return [
    ...args,
    ...cmd.options.filter((o) => o.mandatory).flatMap((o) => [o.long!, o.argChoices?.[0] ?? 'mandatory']),
  ];
}

const program = buildProgram();
const leaves = walk(program)
  .slice(1)
  .filter(({ cmd }) => hasAction(cmd));

test('the command tree is walked: every command with an action, and their options', () => {
  const names = leaves.map((l) => l.path.join(' '));
  for (const n of ['run', 'deploy', 'create skill', 'budget show', 'feedback export', 'up', 'trace'])
    assert.ok(names.includes(n), n);
  assert.ok(leaves.reduce((n, l) => n + l.cmd.options.length, 0) > 50);
});

for (const { cmd, path } of leaves) {
  const args = needs(cmd);
  test(`aspora ${path.join(' ')}: each option reaches the command`, async () => {
    const base = await parse([...path, ...args]);
    assert.ok(!('error' in base), `${path.join(' ')} ${args.join(' ')}: ${'error' in base ? base.error : ''}`);
    for (const o of cmd.options) {
      // A mandatory option with one choice (trigger fire --type cron) has no other value to set; the base parse used it.
      if (o.mandatory && o.argChoices?.length === 1) continue;
      const flag = o.long ?? o.short!;
      const argv = [...path, ...args, flag, ...(o.required || o.optional ? [sample(o)] : [])];
      const r = await parse(argv);
      assert.ok(!('error' in r), `aspora ${argv.join(' ')} did not reach the command: ${'error' in r ? r.error : ''}`);
      assert.equal(r.path, path.join(' '));
      const key = o.attributeName();
      assert.notDeepEqual(
        r.opts[key],
        base.opts[key],
        `aspora ${argv.join(' ')}: ${key} unchanged (${JSON.stringify(r.opts[key])})`,
      );
    }
  });
}

test('options shared with the program mean the same on every command', () => {
  const globals = new Map(program.options.map((o) => [o.long, o]));
  for (const { cmd, path } of leaves) {
    for (const o of cmd.options) {
      const g = globals.get(o.long);
      // The CLI's own --version/-V stands before any subcommand; after one, the command's --version is another option.
      if (!g || g.long === '--version') continue;
      assert.equal(o.required, g.required, `${path.join(' ')} ${o.long} takes a value iff the program's does`);
    }
  }
});

test('--version after a subcommand is the subcommand’s; before it, the CLI’s', async () => {
  const run = await parse(['run', 'fraud/x', '--version', '1.2.0']);
  assert.deepEqual('opts' in run && run.opts.version, '1.2.0');
  const deploy = await parse(['deploy', 'fraud/x', '--env', 'production', '--version', '1.2.0']);
  assert.deepEqual('opts' in deploy && deploy.opts.version, '1.2.0');
  assert.deepEqual(await parse(['--version']), { error: 'commander.version' });
  assert.deepEqual(await parse(['-V']), { error: 'commander.version' });
});

/** The global options a command's action sees (what ctx.globals gives it). */
async function globalsAfter(argv: string[], path: string[]): Promise<ReturnType<typeof globalOptions>> {
  const p = buildProgram();
  let cmd = p as Command;
  for (const n of path) cmd = cmd.commands.find((c) => c.name() === n)!;
  let g: ReturnType<typeof globalOptions> | undefined;
  cmd.action((...args: unknown[]) => void (g = globalOptions(args.at(-1) as Command)));
  await p.parseAsync(['node', 'aspora', ...argv]);
  return g!;
}

test('--json, --url and --token reach every command’s action, before or after the subcommand', async () => {
  const url = 'http://127.0.0.1:4100';
  for (const { cmd, path } of leaves) {
    const args = needs(cmd);
    const own = (f: string) => cmd.options.some((o) => o.long === f);
    const after = [...(own('--json') ? ['--json'] : []), ...(own('--url') ? ['--url', url, '--token', 't'] : [])];
    if (after.length) {
      const g = await globalsAfter([...path, ...args, ...after], path);
      assert.deepEqual(
        g,
        {
          json: own('--json'),
          url: own('--url') ? url : globalOptions(buildProgram()).url,
          ...(own('--url') ? { token: 't' } : {}),
        },
        `${path.join(' ')} ${after.join(' ')}`,
      );
    }
    const before = await globalsAfter(['--json', '--url', url, '--token', 't', ...path, ...args], path);
    assert.deepEqual(before, { json: true, url, token: 't' }, `--json --url --token ${path.join(' ')}`);
  }
  const plain = await globalsAfter(['list'], ['list']);
  assert.equal(plain.json, false);
  assert.equal(plain.url, process.env.ASPORA_URL ?? 'http://127.0.0.1:4000');
});

/**
 * `aspora secrets`: a team's own secrets in the platform's encrypted vault. A value is read from
 * stdin (piped, or typed at a hidden prompt), sent once, and never printed, logged or echoed.
 */
import type { Command } from 'commander';
import { AsporaError } from '@aspora/sdk';
import { common, type CommandContext } from '../program.ts';
import { bold, dim, green, printJson, table } from '../output.ts';

/** The vault keeps at most 64 KiB per value; reading stops just past it. */
const MAX_VALUE_BYTES = 64 * 1024;

export function registerSecrets(program: Command, ctx: CommandContext): void {
  const secrets = program
    .command('secrets')
    .description("A team's secrets for its skills' handlers: encrypted at rest, values never shown");

  common(
    secrets
      .command('set')
      .description('Set a secret from stdin (piped: all of it, one final newline dropped; a terminal: hidden prompt)')
      .argument('<team>', 'the team, e.g. ecm-ops')
      .argument('<NAME>', 'UPPER_SNAKE_CASE, as skills declare it in permissions.secrets'),
  ).action(async (team: string, name: string, _o: unknown, cmd: Command) => {
    const value = await readValue(name);
    const s = await ctx.client(cmd).setSecret({ params: { team, name }, body: { value } });
    if (ctx.globals(cmd).json) printJson(s);
    else process.stderr.write(`${green('✓')} ${s.team}/${s.name} set${s.updatedBy ? dim(` by ${s.updatedBy}`) : ''}\n`);
  });

  common(
    secrets
      .command('list')
      .description("A team's secrets: names, when each was set and by whom (never values)")
      .argument('<team>', 'the team'),
  ).action(async (team: string, _o: unknown, cmd: Command) => {
    const r = await ctx.client(cmd).listSecrets({ params: { team } });
    if (ctx.globals(cmd).json) return printJson(r);
    if (!r.secrets.length) return void process.stderr.write(`team ${team} has no secrets of its own\n`);
    process.stdout.write(
      `${table([
        [bold('NAME'), bold('UPDATED'), bold('BY')],
        ...r.secrets.map((s) => [s.name, s.updatedAt, s.updatedBy ?? '–']),
      ])}\n`,
    );
  });

  common(
    secrets
      .command('rm')
      .description("Remove a team's secret (its skills then get the platform's value, if it has one)")
      .argument('<team>', 'the team')
      .argument('<NAME>', 'the secret'),
  ).action(async (team: string, name: string, _o: unknown, cmd: Command) => {
    const r = await ctx.client(cmd).removeSecret({ params: { team, name } });
    if (ctx.globals(cmd).json) printJson({ team, name, ...r });
    else
      process.stderr.write(r.removed ? `${green('✓')} ${team}/${name} removed\n` : `${team} has no secret ${name}\n`);
  });
}

/**
 * `aspora platform-secrets`: the platform's own credentials (API auth, model provider keys,
 * notifiers) sealed in the vault, for admins. aspora.platform.yaml names them `{ sealed: true }`.
 */
export function registerPlatformSecrets(program: Command, ctx: CommandContext): void {
  const ps = program
    .command('platform-secrets')
    .description("The platform's credentials sealed in the vault ({ sealed: true } in aspora.platform.yaml; admins)");

  common(
    ps
      .command('set')
      .description('Seal a platform credential from stdin (piped, or a hidden prompt); every process uses it within seconds')
      .argument('<NAME>', 'a secret aspora.platform.yaml declares as { sealed: true }'),
  ).action(async (name: string, _o: unknown, cmd: Command) => {
    const value = await readValue(name);
    const s = await ctx.client(cmd).setPlatformSecret({ params: { name }, body: { value } });
    if (ctx.globals(cmd).json) printJson(s);
    else process.stderr.write(`${green('✓')} ${s.name} sealed${s.updatedBy ? dim(` by ${s.updatedBy}`) : ''}\n`);
  });

  common(ps.command('list').description('The sealed credentials the platform declares: set or not, when, by whom')).action(
    async (_o: unknown, cmd: Command) => {
      const r = await ctx.client(cmd).listPlatformSecrets({});
      if (ctx.globals(cmd).json) return printJson(r);
      if (!r.secrets.length)
        return void process.stderr.write('aspora.platform.yaml declares no { sealed: true } secret\n');
      process.stdout.write(
        `${table([
          [bold('NAME'), bold('SET'), bold('UPDATED'), bold('BY')],
          ...r.secrets.map((s) => [s.name, s.set ? 'yes' : 'no', s.updatedAt ?? '–', s.updatedBy ?? '–']),
        ])}\n`,
      );
    },
  );

  common(ps.command('rm').description('Remove a sealed platform credential').argument('<NAME>', 'the secret')).action(
    async (name: string, _o: unknown, cmd: Command) => {
      const r = await ctx.client(cmd).removePlatformSecret({ params: { name } });
      if (ctx.globals(cmd).json) printJson({ name, ...r });
      else process.stderr.write(r.removed ? `${green('✓')} ${name} removed\n` : `${name} was not set\n`);
    },
  );
}

/** The value: typed at a hidden prompt on a terminal, else the whole of stdin less one final newline. */
async function readValue(name: string): Promise<string> {
  const value = process.stdin.isTTY ? await promptHidden(`${name}: `) : dropNewline(await readAll());
  if (!value)
    throw new AsporaError('BAD_REQUEST', `no value for ${name}: stdin was empty`, {
      hint: `pipe the value in (aspora secrets set <team> ${name} < file) or type it at the prompt`,
    });
  return value;
}

const dropNewline = (s: string) => s.replace(/\r?\n$/, '');

async function readAll(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin as AsyncIterable<Buffer>) {
    size += c.length;
    // One newline past the limit may still be dropped; beyond that, the value is too large.
    if (size > MAX_VALUE_BYTES + 2) {
      process.stdin.destroy();
      throw new AsporaError('BAD_REQUEST', `the value on stdin is larger than ${MAX_VALUE_BYTES} bytes`, {
        hint: 'store a reference (a path, a URL) to large material instead of the material itself',
      });
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a line from the terminal with echo off (raw mode): nothing typed appears on the screen. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(`${prompt}${dim('(input hidden) ')}`);
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (d: Buffer) => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(new AsporaError('BAD_REQUEST', 'cancelled: no secret was set'));
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (Buffer.byteLength(value) > MAX_VALUE_BYTES)
          return done(new AsporaError('BAD_REQUEST', `the value is larger than ${MAX_VALUE_BYTES} bytes`));
        else value += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

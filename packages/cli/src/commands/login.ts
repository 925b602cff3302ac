/** aspora login, logout and whoami: the token the CLI keeps per platform, and who it makes you. */
import type { Command } from 'commander';
import { ApiError, type PrincipalInfo } from '@aspora/api';
import { createClient } from '@aspora/api/client';
import { AsporaError } from '@aspora/sdk';
import { common, tokenOptionGiven, type CommandContext } from '../program.ts';
import { bold, dim, green, printJson, yellow } from '../output.ts';
import { checkToken, MAX_TOKEN_CHARS, platformKey, removeCredentials, saveCredentials } from '../credentials.ts';
import { readSecret } from '../secret-input.ts';

/** `sarah@example.com (Sarah Lee)` or `service account of ecm-ops`. */
export function principalLabel(p: PrincipalInfo): string {
  if (p.kind === 'service') return `service account of ${p.team ?? '?'}`;
  return p.user ? `${p.user.email}${p.user.name ? ` (${p.user.name})` : ''}` : 'an unknown user';
}

function describe(p: PrincipalInfo): string {
  const lines = [`${bold(principalLabel(p))}${p.admin ? `  ${yellow('admin')}` : ''}`];
  lines.push(
    `  teams    ${p.teams.length ? p.teams.map((t) => `${t.team} (${t.role})`).join(', ') : dim(p.kind === 'service' ? '-' : 'none')}`,
  );
  lines.push(`  scopes   ${p.scopes.join(', ') || dim('none')}`);
  lines.push(`  token    ${p.tokenId}  ${p.expiresAt ? `expires ${p.expiresAt}` : 'never expires'}`);
  return lines.join('\n');
}

const FROM = { option: 'from --token', env: 'from ASPORA_TOKEN', none: 'none' } as const;

export function registerLogin(program: Command, ctx: CommandContext): void {
  common(
    program
      .command('login')
      .description(
        'Check a token with the platform and keep it for this --url; read from stdin unless --token is given',
      ),
  )
    .addHelpText(
      'after',
      `
Without --token the token is read from stdin: typed (not echoed) at a terminal, or piped
(aspora login < token.txt). --token works too, but leaves the token in shell history and ps.
The token is kept in the credentials file (mode 0600), one per platform URL: see docs/cli.md.`,
    )
    .action(async (_o: unknown, cmd: Command) => {
      const g = ctx.globals(cmd);
      const key = platformKey(g.url);
      // ASPORA_TOKEN is not what login saves: it is the token in use already, and would win over the file anyway.
      const raw =
        tokenOptionGiven(cmd) && g.token
          ? g.token
          : await readSecret(`Token for ${key}: `, { max: MAX_TOKEN_CHARS + 2 });
      const token = checkToken(raw);
      let me: PrincipalInfo;
      try {
        me = await createClient({ url: g.url, token }).whoami();
      } catch (e) {
        if (e instanceof ApiError && e.code === 'UNAUTHORIZED')
          throw new AsporaError(
            'UNAUTHORIZED',
            `${key} does not accept this token: it is unknown, expired or revoked`,
            {
              hint: 'ask an admin for a token (aspora tokens create), or check --url',
            },
          );
        throw e;
      }
      const file = saveCredentials(g.url, token);
      if (g.json) printJson({ url: key, credentials: file, whoami: me });
      else {
        process.stderr.write(`${green('✓')} logged in to ${key}; token saved in ${file}\n`);
        process.stdout.write(`${describe(me)}\n`);
      }
      if (process.env.ASPORA_TOKEN)
        process.stderr.write(`${yellow('warning')} ASPORA_TOKEN is set: it is used instead of the saved token\n`);
    });

  common(
    program.command('logout').description('Forget the token kept for this --url (it stays valid until revoked)'),
  ).action(async (_o: unknown, cmd: Command) => {
    const g = ctx.globals(cmd);
    const key = platformKey(g.url);
    const removed = removeCredentials(g.url);
    if (g.json) printJson({ url: key, removed });
    else if (removed) process.stderr.write(`${green('✓')} logged out of ${key}\n`);
    else process.stderr.write(`no token was saved for ${key}\n`);
    if (process.env.ASPORA_TOKEN)
      process.stderr.write(`${yellow('warning')} ASPORA_TOKEN is still set: commands keep sending it\n`);
  });

  common(
    program.command('whoami').description('Who your token makes you: user or service account, teams, scopes, expiry'),
  ).action(async (_o: unknown, cmd: Command) => {
    const t = ctx.token(cmd);
    if (!t.token)
      throw new AsporaError('UNAUTHORIZED', `no token for ${platformKey(ctx.globals(cmd).url)}`, {
        hint: 'run `aspora login`, or pass --token / set ASPORA_TOKEN',
      });
    const me = await ctx.client(cmd).whoami();
    if (ctx.globals(cmd).json) return printJson(me);
    process.stdout.write(`${describe(me)}\n`);
    process.stderr.write(`${dim(`token ${t.from === 'file' ? `from ${t.file}` : FROM[t.from]}`)}\n`);
  });
}

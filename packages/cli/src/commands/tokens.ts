/** aspora tokens …: create (shown once), list and revoke API tokens. */
import type { Command } from 'commander';
import {
  CreateTokenRequest,
  EmailSchema,
  SCOPES,
  ScopeSchema,
  TeamNameSchema,
  TokenLifetimeSchema,
  TokenParams,
  type Routes,
} from '@aspora/api';
import { AsporaError } from '@aspora/sdk';
import type { RouteOutput } from '@aspora/api/client';
import { common, type CommandContext } from '../program.ts';
import { bold, dim, green, printJson, red, table, yellow } from '../output.ts';
import { valid } from '../contract-input.ts';

type Token = RouteOutput<Routes['revokeToken']>;

const SCOPES_HINT = `scopes are ${SCOPES.join(', ')}, comma-separated (e.g. --scopes run,read)`;

/** `run,read` → ['run', 'read'], each checked against the contract's scopes. */
export function parseScopes(list: string): Array<(typeof SCOPES)[number]> {
  const words = [
    ...new Set(
      list
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  const bad = words.filter((w) => !ScopeSchema.safeParse(w).success);
  if (bad.length || !words.length)
    throw new AsporaError(
      'BAD_REQUEST',
      bad.length ? `--scopes: ${bad.map((w) => `"${w}"`).join(', ')} is not a scope` : '--scopes is empty',
      { hint: SCOPES_HINT },
    );
  return words as Array<(typeof SCOPES)[number]>;
}

const owner = (t: Token) => (t.kind === 'service' ? `service account of ${t.team ?? '?'}` : (t.user ?? '?'));

function status(t: Token, now = Date.now()): string {
  if (t.revokedAt) return red('revoked');
  if (t.expiresAt && Date.parse(t.expiresAt) <= now) return yellow('expired');
  return green('active');
}

export function registerTokens(program: Command, ctx: CommandContext): void {
  const tokens = program
    .command('tokens')
    .description("API tokens of users and teams' service accounts, with scopes and an expiry");

  common(
    tokens
      .command('create')
      .description(
        "Create a token, no wider than your own: yours, a team's service token (--team), or another user's (--user, admins). It is printed once",
      )
      .requiredOption('--scopes <list>', `comma-separated: ${SCOPES.join(', ')}`)
      .option('--team <team>', 'a service token of this team (its members with deploy, or admins)')
      .option('--user <email>', 'a token for this user (admins)')
      .option('--expires <lifetime>', '90m, 12h, 30d, or never (admins); the platform defaults to 90d')
      .option('--name <name>', 'to recognise it in aspora tokens list, e.g. slack-bot')
      .option('--quiet', 'print only the token on stdout (for $(…) or a secret store)'),
  )
    .addHelpText(
      'after',
      `
Examples:
  aspora tokens create --scopes run,read                  your own token, for the platform's default 90 days
  aspora tokens create --team ecm-ops --scopes run,act-as --expires 30d --name slack
  T=$(aspora tokens create --team ecm-ops --scopes run --quiet)`,
    )
    .action(
      async (
        o: { scopes: string; team?: string; user?: string; expires?: string; name?: string; quiet?: boolean },
        cmd: Command,
      ) => {
        if (o.team !== undefined && o.user !== undefined)
          throw new AsporaError('BAD_REQUEST', '--team and --user cannot go together', {
            hint: "a token is either a team service account's (--team) or a user's (--user)",
          });
        // Each option checked on its own, so the message names it; then the whole body, as the server will.
        // Without --expires none is sent: the platform applies its default.
        const body = valid(
          CreateTokenRequest.omit({ expires: true }),
          {
            scopes: parseScopes(o.scopes),
            ...(o.team !== undefined ? { team: valid(TeamNameSchema, o.team, `--team "${o.team}"`) } : {}),
            ...(o.user !== undefined ? { user: valid(EmailSchema, o.user, `--user "${o.user}"`) } : {}),
            ...(o.name !== undefined ? { name: o.name } : {}),
          },
          '--name',
        );
        const expires =
          o.expires === undefined ? undefined : valid(TokenLifetimeSchema, o.expires, `--expires "${o.expires}"`);
        const t = await ctx.client(cmd).createToken({ body: { ...body, ...(expires ? { expires } : {}) } });
        const json = ctx.globals(cmd).json;
        if (json) printJson(t);
        else if (o.quiet) process.stdout.write(`${t.token}\n`);
        else
          process.stdout.write(
            `${[
              `id       ${t.id}`,
              `name     ${t.name ?? dim('-')}`,
              `for      ${owner(t)}`,
              `scopes   ${t.scopes.join(', ')}`,
              `expires  ${t.expiresAt ?? 'never'}`,
              `token    ${t.token}`,
            ].join('\n')}\n`,
          );
        process.stderr.write(
          `${yellow('!')} the token is shown this once and cannot be recovered: keep it now (aspora login reads it from stdin)\n`,
        );
      },
    );

  common(
    tokens
      .command('list')
      .description(
        "Your tokens and your teams' service tokens (--all: every token, admins); never the tokens themselves",
      )
      .option('--all', 'every token of the platform (admins)'),
  ).action(async (o: { all?: boolean }, cmd: Command) => {
    const res = await ctx.client(cmd).listTokens({ query: { all: o.all ? 'true' : 'false' } });
    if (ctx.globals(cmd).json) return printJson(res);
    if (!res.tokens.length) return void process.stderr.write('no tokens\n');
    const rows = [['ID', 'NAME', 'FOR', 'SCOPES', 'PREFIX', 'EXPIRES', 'LAST USED', 'STATUS'].map(bold)];
    for (const t of res.tokens)
      rows.push([
        t.id,
        t.name ?? dim('-'),
        owner(t),
        t.scopes.join(','),
        `${t.prefix}…`,
        t.expiresAt ?? 'never',
        t.lastUsedAt ?? dim('never'),
        status(t),
      ]);
    process.stdout.write(`${table(rows)}\n`);
  });

  common(
    tokens
      .command('revoke')
      .description(
        'Revoke a token: yours, a service token of your team (with deploy), or any (admins); at once everywhere',
      )
      .argument('<id>', 'the token id aspora tokens list shows'),
  ).action(async (id: string, _o: unknown, cmd: Command) => {
    const params = valid(TokenParams, { id }, `token id "${id}"`, 'aspora tokens list shows the ids (UUIDs)');
    const t = await ctx.client(cmd).revokeToken({ params });
    if (ctx.globals(cmd).json) return printJson(t);
    process.stderr.write(`${green('✓')} token ${t.id}${t.name ? ` (${t.name})` : ''} of ${owner(t)} revoked\n`);
  });
}

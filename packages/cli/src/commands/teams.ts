/** aspora teams … and aspora users …: the organisation's teams, its users and their roles in teams (admins). */
import type { Command } from 'commander';
import {
  AddMemberRequest,
  CreateTeamRequest,
  CreateUserRequest,
  EmailSchema,
  TeamNameSchema,
  type Routes,
} from '@aspora/api';
import type { RouteOutput } from '@aspora/api/client';
import { AsporaError } from '@aspora/sdk';
import { common, type CommandContext } from '../program.ts';
import { bold, dim, green, printJson, table } from '../output.ts';
import { valid } from '../contract-input.ts';

type User = RouteOutput<Routes['createUser']>;
type Membership = User['teams'][number];

const memberships = (ms: Membership[]) => ms.map((m) => `${m.team} (${m.role})`).join(', ');

/** `sarah@example.com · ecm-ops (field)`: a user after a change. */
function userLine(u: User): string {
  return `${u.email}${u.name ? ` (${u.name})` : ''}${u.admin ? ' · admin' : ''} · ${u.teams.length ? memberships(u.teams) : 'no team'}`;
}

const team = (name: string) => valid(TeamNameSchema, name, `team "${name}"`);
const email = (e: string) => valid(EmailSchema, e, `email "${e}"`);

export function registerTeams(program: Command, ctx: CommandContext): void {
  const teams = program.command('teams').description("Teams (a skill's owner_team) and their members' roles");

  common(
    teams
      .command('create')
      .description('Create a team (admins)')
      .argument('<name>', 'lowercase with hyphens, e.g. ecm-ops')
      .option('--description <text>', 'what the team does'),
  ).action(async (name: string, o: { description?: string }, cmd: Command) => {
    const body = valid(
      CreateTeamRequest,
      { name, ...(o.description !== undefined ? { description: o.description } : {}) },
      `team "${name}"`,
    );
    const t = await ctx.client(cmd).createTeam({ body });
    if (ctx.globals(cmd).json) return printJson(t);
    process.stderr.write(`${green('✓')} team ${t.name} created\n`);
  });

  common(teams.command('list').description("The organisation's teams, with how many members each has")).action(
    async (_o: unknown, cmd: Command) => {
      const res = await ctx.client(cmd).listTeams();
      if (ctx.globals(cmd).json) return printJson(res);
      if (!res.teams.length) return void process.stderr.write('no teams yet (aspora teams create <name>)\n');
      const rows = [['TEAM', 'MEMBERS', 'CREATED', 'DESCRIPTION'].map(bold)];
      for (const t of res.teams) rows.push([t.name, String(t.members), t.createdAt, t.description ?? dim('-')]);
      process.stdout.write(`${table(rows)}\n`);
    },
  );

  common(
    teams
      .command('add-member')
      .description("Add a user to a team with a role, or change the user's role in it (admins)")
      .argument('<team>', 'e.g. ecm-ops')
      .argument('<email>', "the user's email (aspora users add creates a user)")
      .requiredOption('--role <role>', 'the role in the team, e.g. field or manager'),
  ).action(async (t: string, e: string, o: { role: string }, cmd: Command) => {
    const body = valid(AddMemberRequest, { email: email(e), role: o.role }, `--role "${o.role}"`);
    const u = await ctx.client(cmd).addMember({ params: { team: team(t) }, body });
    if (ctx.globals(cmd).json) return printJson(u);
    process.stderr.write(`${green('✓')} ${u.email} is ${o.role} in ${t}\n`);
    process.stdout.write(`${userLine(u)}\n`);
  });

  common(
    teams
      .command('remove-member')
      .description('Remove a user from a team (admins); the user and their tokens stay')
      .argument('<team>', 'e.g. ecm-ops')
      .argument('<email>', "the user's email"),
  ).action(async (t: string, e: string, _o: unknown, cmd: Command) => {
    const u = await ctx.client(cmd).removeMember({ params: { team: team(t), email: email(e) } });
    if (ctx.globals(cmd).json) return printJson(u);
    process.stderr.write(`${green('✓')} ${u.email} removed from ${t}\n`);
    process.stdout.write(`${userLine(u)}\n`);
  });
}

export function registerUsers(program: Command, ctx: CommandContext): void {
  const users = program.command('users').description('The people who use the platform, named by email (admins)');

  common(
    users
      .command('add')
      .description('Add a user, optionally to a team with a role; an existing user joins the team (admins)')
      .argument('<email>', 'e.g. sarah@example.com')
      .option('--name <name>', 'how to show the user')
      .option('--team <team>', 'a team to join, e.g. ecm-ops (with --role)')
      .option('--role <role>', 'the role in --team, e.g. field')
      .option('--admin', 'make the user an admin of the platform'),
  ).action(async (e: string, o: { name?: string; team?: string; role?: string; admin?: boolean }, cmd: Command) => {
    if (o.role !== undefined && o.team === undefined)
      throw new AsporaError('BAD_REQUEST', '--role needs --team: a role is held in a team', {
        hint: `aspora users add ${e} --team <team> --role ${o.role}`,
      });
    const body = valid(
      CreateUserRequest,
      {
        email: email(e),
        admin: Boolean(o.admin),
        ...(o.name !== undefined ? { name: o.name } : {}),
        ...(o.team !== undefined ? { team: team(o.team) } : {}),
        ...(o.role !== undefined ? { role: o.role } : {}),
      },
      `user ${e}`,
    );
    const u = await ctx.client(cmd).createUser({ body });
    if (ctx.globals(cmd).json) return printJson(u);
    process.stderr.write(`${green('✓')} user ${u.email} added${o.team ? ` to ${o.team}` : ''}\n`);
    process.stdout.write(`${userLine(u)}\n`);
  });

  common(users.command('list').description('Users with their teams and roles (admins)')).action(
    async (_o: unknown, cmd: Command) => {
      const res = await ctx.client(cmd).listUsers();
      if (ctx.globals(cmd).json) return printJson(res);
      if (!res.users.length) return void process.stderr.write('no users yet (aspora users add <email>)\n');
      const rows = [['EMAIL', 'NAME', 'ADMIN', 'TEAMS'].map(bold)];
      for (const u of res.users)
        rows.push([u.email, u.name ?? dim('-'), u.admin ? 'yes' : 'no', memberships(u.teams) || dim('-')]);
      process.stdout.write(`${table(rows)}\n`);
    },
  );
}

/**
 * The access contract: token scopes, what each route requires of its caller, and the bodies of the
 * identity, token, secret and audit routes. Server, CLI and client read them from here.
 */
import { z } from 'zod';
import { SlugSchema } from './refs.ts';

/** What a token may do. `act-as` lets a service token (a channel) run on behalf of a user it names. */
export const SCOPES = ['read', 'run', 'deploy', 'admin', 'act-as'] as const;
export const ScopeSchema = z.enum(SCOPES).meta({ id: 'Scope' });
export type Scope = z.infer<typeof ScopeSchema>;

/**
 * What a route requires of its caller: `open` (no token: health, readiness, this contract), `any`
 * (any valid token, e.g. whoami) or a scope. Object rules (visibility, owner team) come on top,
 * in the handler, once the object is known.
 */
export type RouteAccess = 'open' | 'any' | Scope;

export const TeamNameSchema = SlugSchema.meta({ description: 'a team, e.g. ecm-ops (the owner_team of its skills)' });
export const EmailSchema = z.email().max(254).meta({ description: "a user's email, which names the user" });
export const RoleSchema = SlugSchema.meta({ description: "a member's role in a team, e.g. field, manager" });
export const SecretNameSchema = z
  .string()
  .max(128)
  .regex(/^[A-Z][A-Z0-9_]*$/, { error: 'secret names are UPPER_SNAKE_CASE' });
/** 30d, 12h, 90m; or `never` (admins only). */
export const TokenLifetimeSchema = z
  .string()
  .regex(/^(\d{1,5}[mhd]|never)$/, { error: 'a lifetime is minutes, hours or days (90m, 12h, 30d) or never' });

export const MembershipSchema = z.object({ team: TeamNameSchema, role: RoleSchema }).meta({ id: 'Membership' });
export type Membership = z.infer<typeof MembershipSchema>;

/** The caller as the platform sees it (GET /v1/whoami). */
export const PrincipalSchema = z
  .object({
    kind: z.enum(['user', 'service']),
    tokenId: z.string(),
    user: z.object({ id: z.string(), email: z.string(), name: z.string().nullable() }).nullable(),
    /** A service account's team; null for a user's token. */
    team: z.string().nullable(),
    teams: z.array(MembershipSchema),
    admin: z.boolean(),
    scopes: z.array(ScopeSchema),
    expiresAt: z.string().nullable(),
  })
  .meta({ id: 'Principal' });
export type PrincipalInfo = z.infer<typeof PrincipalSchema>;

export const TeamSchema = z
  .object({
    name: z.string(),
    description: z.string().nullable(),
    members: z.number().int(),
    createdAt: z.string(),
  })
  .meta({ id: 'Team' });
export const CreateTeamRequest = z.object({
  name: TeamNameSchema,
  description: z.string().max(500).optional(),
});
export const TeamParams = z.object({ team: TeamNameSchema });

export const UserSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    admin: z.boolean(),
    teams: z.array(MembershipSchema),
    createdAt: z.string(),
  })
  .meta({ id: 'User' });
export const CreateUserRequest = z.object({
  email: EmailSchema,
  name: z.string().max(200).optional(),
  admin: z.boolean().default(false),
  team: TeamNameSchema.optional(),
  role: RoleSchema.optional(),
});
export const AddMemberRequest = z.object({ email: EmailSchema, role: RoleSchema });
export const MemberParams = z.object({ team: TeamNameSchema, email: EmailSchema });

export const TokenSchema = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    kind: z.enum(['user', 'service']),
    /** The user it belongs to (email), for a user's token. */
    user: z.string().nullable(),
    /** The team whose service account it is, for a service token. */
    team: z.string().nullable(),
    scopes: z.array(ScopeSchema),
    /** The token's first characters, to recognise it; never enough to use it. */
    prefix: z.string(),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
  })
  .meta({ id: 'Token' });
export const CreateTokenRequest = z.object({
  name: z.string().max(100).optional(),
  scopes: z.array(ScopeSchema).min(1).max(SCOPES.length),
  /** Default 90d. */
  expires: TokenLifetimeSchema.default('90d'),
  /** A service token of this team (members with deploy, or admins), instead of the caller's own. */
  team: TeamNameSchema.optional(),
  /** A token for another user (admins only). */
  user: EmailSchema.optional(),
});
/** The token itself appears here once and is never shown again. */
export const CreatedTokenSchema = TokenSchema.extend({ token: z.string() }).meta({ id: 'CreatedToken' });
export const TokenParams = z.object({ id: z.uuid() });
export const ListTokensQuery = z.object({
  all: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .meta({ description: "every token (admins), not only the caller's and its teams' service tokens" }),
});

export const SecretInfoSchema = z
  .object({
    team: z.string(),
    name: z.string(),
    updatedAt: z.string(),
    updatedBy: z.string().nullable(),
  })
  .meta({ id: 'SecretInfo' });
export const SecretParams = z.object({ team: TeamNameSchema, name: SecretNameSchema });
export const SetSecretRequest = z.object({
  value: z
    .string()
    .min(1)
    .max(64 * 1024),
});

/** A team's state table (context.state.table) as its operators see it. */
export const StateTableSchema = z.object({ table: z.string(), rows: z.number().int() }).meta({ id: 'StateTable' });
export const StateTableParams = z.object({
  team: TeamNameSchema,
  table: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,62}$/)
    .meta({ description: 'a table, e.g. assignments (a sheets_access key without its _tab)' }),
});
const StateCellSchema = z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()]);
export const StateRowSchema = z.record(z.string().min(1).max(64), StateCellSchema).meta({ id: 'StateRow' });
export const StateRowsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});
export const ImportStateRequest = z.object({
  rows: z.array(StateRowSchema).min(1).max(1000),
  /** Remove the table's rows first (in the same transaction). */
  replace: z.boolean().default(false),
});

/** A platform credential declared `{ sealed: true }`: whether it is set, when and by whom; never its value. */
export const PlatformSecretSchema = z
  .object({ name: z.string(), set: z.boolean(), updatedAt: z.string().nullable(), updatedBy: z.string().nullable() })
  .meta({ id: 'PlatformSecret' });
export const PlatformSecretParams = z.object({ name: SecretNameSchema });

export const AUDIT_OUTCOMES = ['ok', 'denied', 'failed'] as const;
export const AuditEntrySchema = z
  .object({
    seq: z.number().int(),
    at: z.string(),
    /** Who: a user's email, `service:<team>/<token name>`, or `platform`. */
    actor: z.string(),
    /** What, e.g. skill.deploy, token.create, secret.set, access.denied. */
    action: z.string(),
    /** On what, e.g. fraud/block-transaction@production, team ecm-ops. */
    target: z.string().nullable(),
    outcome: z.enum(AUDIT_OUTCOMES),
    details: z.record(z.string(), z.unknown()),
    hash: z.string(),
  })
  .meta({ id: 'AuditEntry' });
export type AuditEntry = z.infer<typeof AuditEntrySchema>;
export const AuditQuery = z.object({
  since: z.string().max(40).optional().meta({ description: 'a duration back (24h, 7d) or an ISO time' }),
  actor: z.string().max(300).optional(),
  action: z.string().max(100).optional(),
  outcome: z.enum(AUDIT_OUTCOMES).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export const AuditVerifySchema = z
  .object({
    ok: z.boolean(),
    entries: z.number().int(),
    /** The first entry whose hash or link does not hold, when one does not. */
    broken: z.object({ seq: z.number().int(), reason: z.string() }).nullable(),
    /**
     * The last entry that holds. verify cannot see entries cut from the end, nor a chain rewritten
     * by someone who recomputed the hashes: keep this elsewhere and compare it later.
     */
    head: z.object({ seq: z.number().int(), hash: z.string() }).nullable(),
  })
  .meta({ id: 'AuditVerify' });

import { AsporaError } from '@aspora/sdk';
import type { Db } from '../db/types.ts';
import { linkSharedResources } from '../shared/link.ts';
import { formatRef } from './ref.ts';
import { mapSummary, mapVersion, SUMMARY_SELECT, VERSION_COLUMNS } from './rows.ts';
import { latestOf, parseSemver } from './semver.ts';
import type { RegisterResult, RegisterVersionInput } from './types.ts';
import { validateRegisterInput } from './validate.ts';

export interface StoredEmbedding {
  vector: number[];
  model: string;
}

/**
 * Registers one immutable version. The skill row lock serialises registrations of the same
 * skill, so "does this version exist?" and the insert can't race: re-registering the same
 * digest is idempotent, a different digest under the same version is a conflict.
 */
export async function registerVersion(
  db: Db,
  input: RegisterVersionInput,
  embedding: StoredEmbedding | null,
): Promise<RegisterResult> {
  validateRegisterInput(input);
  const sv = parseSemver(input.version);
  const ref = formatRef(input.domain, input.name);

  return db.transaction(async (tx) => {
    await tx.query(
      'INSERT INTO skills (domain, name, role) VALUES ($1, $2, $3) ON CONFLICT (domain, name) DO NOTHING',
      [input.domain, input.name, input.role],
    );
    const [skill] = await tx.query<{ id: string; role: string | null; latest_version_id: string | null }>(
      'SELECT id, role, latest_version_id FROM skills WHERE domain = $1 AND name = $2 FOR UPDATE',
      [input.domain, input.name],
    );
    if (!skill) throw new Error(`skill ${ref} vanished during registration`);

    const [existing] = await tx.query<Record<string, unknown>>(
      `SELECT ${VERSION_COLUMNS} FROM skill_versions v WHERE v.skill_id = $1 AND v.version = $2`,
      [skill.id, input.version],
    );
    if (existing) {
      if (existing.bundle_digest !== input.bundle.digest) {
        throw new AsporaError(
          'VERSION_CONFLICT',
          `${ref}@${input.version} is already registered with a different bundle`,
          {
            hint: 'versions are immutable: bump skill.version in aspora.config.yaml and deploy again',
            details: { ref, version: input.version, existing: existing.bundle_digest, attempted: input.bundle.digest },
          },
        );
      }
      return { skill: await summary(tx, skill.id), version: mapVersion(ref, existing), created: false };
    }

    const [row] = await tx.query<Record<string, unknown>>(
      `INSERT INTO skill_versions (skill_id, version, major, minor, patch, prerelease, role, bundle_digest, bundle_size,
         file_count, description, owner_team, visibility, cost_center, runtime_language, entry_point, timeout_ms,
         memory_mb, cpu, primary_model, fallback_model, temperature, max_tokens, max_cost_per_execution,
         monthly_cost_limit, config, frontmatter, search_name, search_description, search_negative, search_patterns,
         search_examples, embedding, embedding_model, created_by)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,
         $26::jsonb,$27::jsonb,$28,$29,$30,$31,$32,$33::real[],$34,$35)
       RETURNING id`,
      [
        skill.id,
        input.version,
        sv.major,
        sv.minor,
        sv.patch,
        sv.prerelease,
        input.role,
        input.bundle.digest,
        input.bundle.size,
        input.bundle.fileCount,
        input.description,
        input.ownerTeam,
        input.visibility,
        input.costCenter,
        input.runtime.language,
        input.runtime.entryPoint,
        input.runtime.timeoutMs,
        input.runtime.memoryMb,
        input.runtime.cpu,
        input.model.primary,
        input.model.fallback,
        input.model.temperature,
        input.model.maxTokens,
        input.model.maxCostPerExecution,
        input.model.monthlyLimit,
        JSON.stringify(input.config ?? null),
        JSON.stringify(input.frontmatter ?? {}),
        input.search.name,
        input.search.description,
        input.search.negative ?? '',
        joinLines(input.search.patterns),
        joinLines(input.search.examples),
        embedding ? embedding.vector : null,
        embedding ? embedding.model : null,
        input.actor ?? null,
      ],
    );
    const versionId = String(row!.id);
    // Sorted so concurrent registrations lock shared lexeme rows in the same order (no deadlocks).
    await tx.query(
      `INSERT INTO search_lexemes (lexeme, df)
       SELECT lx, 1 FROM skill_versions v, unnest(tsvector_to_array(v.search_doc) || ARRAY['']) AS lx
        WHERE v.id = $1 ORDER BY lx COLLATE "C"
       ON CONFLICT (lexeme) DO UPDATE SET df = search_lexemes.df + 1`,
      [versionId],
    );
    await insertTriggers(tx, versionId, input);
    await insertPermissions(tx, versionId, input);
    // The shared resources this version runs with are fixed now, with it (shared/link.ts).
    await linkSharedResources(tx, versionId, ref, input.domain, input.config);

    const [prev] = await tx.query<{ role: string | null }>('SELECT role FROM skill_versions WHERE id = $1', [
      skill.latest_version_id,
    ]);
    // SQL narrows to the highest MAJOR.MINOR.PATCH; semver orders its pre-releases (rc.10 after rc.9).
    const top = await tx.query<{ id: string; version: string }>(
      `SELECT id, version FROM skill_versions WHERE skill_id = $1 AND (major, minor, patch) =
         (SELECT major, minor, patch FROM skill_versions WHERE skill_id = $1 ORDER BY major DESC, minor DESC, patch DESC LIMIT 1)`,
      [skill.id],
    );
    await tx.query(
      `UPDATE skills s SET latest_version_id = l.id, role = l.role, updated_at = now()
         FROM (SELECT id, role FROM skill_versions WHERE id = $2) l
        WHERE s.id = $1`,
      [skill.id, latestOf(top)!.id],
    );
    await tx.query(
      `UPDATE skill_versions v SET is_latest = (v.id = s.latest_version_id)
         FROM skills s WHERE s.id = $1 AND v.skill_id = s.id AND (v.is_latest OR v.id = s.latest_version_id)`,
      [skill.id],
    );
    const [created] = await tx.query<Record<string, unknown>>(
      `SELECT ${VERSION_COLUMNS} FROM skill_versions v WHERE v.id = $1`,
      [versionId],
    );
    const result: RegisterResult = {
      skill: await summary(tx, skill.id),
      version: mapVersion(ref, created!),
      created: true,
    };
    if (prev && prev.role !== input.role) result.roleChange = { from: prev.role, to: input.role };
    return result;
  });
}

const joinLines = (xs: string[] | undefined) =>
  (xs ?? [])
    .map((x) => x.replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .join('\n');

async function summary(tx: Db, skillId: string) {
  const [r] = await tx.query<Record<string, unknown>>(
    `SELECT ${SUMMARY_SELECT} FROM skills s JOIN skill_versions v ON v.id = s.latest_version_id WHERE s.id = $1`,
    [skillId],
  );
  return mapSummary(r!);
}

// One round trip per table regardless of how many triggers/permissions a skill declares.
async function insertTriggers(tx: Db, versionId: string, input: RegisterVersionInput) {
  if (input.triggers.length === 0) return;
  const rows = input.triggers.map((t, position) => ({
    position,
    type: t.type,
    patterns: t.patterns ?? [],
    channels: t.channels ?? [],
    schedule: t.schedule ?? null,
    timezone: t.timezone ?? null,
    enabled: t.enabled ?? true,
    sources: t.sources ?? [],
    filters: t.filters ?? null,
  }));
  await tx.query(
    `INSERT INTO skill_triggers (version_id, position, type, patterns, channels, cron_schedule, timezone, enabled,
       alert_sources, alert_filters)
     SELECT $1, t.position, t.type,
       ARRAY(SELECT jsonb_array_elements_text(t.patterns)), ARRAY(SELECT jsonb_array_elements_text(t.channels)),
       t.schedule, t.timezone, t.enabled, ARRAY(SELECT jsonb_array_elements_text(t.sources)), t.filters
     FROM jsonb_to_recordset($2::jsonb) AS t(position int, type text, patterns jsonb, channels jsonb, schedule text,
       timezone text, enabled boolean, sources jsonb, filters jsonb)`,
    [versionId, JSON.stringify(rows)],
  );
}

async function insertPermissions(tx: Db, versionId: string, input: RegisterVersionInput) {
  if (input.permissions.length === 0) return;
  const rows = input.permissions.map((p) => ({ kind: p.kind, value: p.value, detail: p.detail ?? null }));
  await tx.query(
    `INSERT INTO skill_permissions (version_id, kind, value, detail)
     SELECT $1, p.kind, p.value, p.detail FROM jsonb_to_recordset($2::jsonb) AS p(kind text, value text, detail jsonb)
     ON CONFLICT (version_id, kind, value) DO NOTHING`,
    [versionId, JSON.stringify(rows)],
  );
}

/** Maps a validated skill manifest and its stored bundle onto the registry's version record. */
import type { SkillManifest } from '@aspora/sdk';
import type { RegisterVersionInput } from '../registry/index.ts';

export function toRegisterInput(
  m: SkillManifest,
  bundle: { digest: string; size: number; fileCount: number },
  actor?: string,
): RegisterVersionInput {
  const c = m.config;
  const p = c.permissions ?? {};
  const permissions: RegisterVersionInput['permissions'] = [
    ...(p.tools ?? []).map((value) => ({ kind: 'tool' as const, value })),
    ...(p.apis ?? []).map((value) => ({ kind: 'api' as const, value })),
    ...(p.secrets ?? []).map((value) => ({ kind: 'secret' as const, value })),
    ...(p.shared_resources ?? []).map((value) => ({ kind: 'shared_resource' as const, value })),
    ...(p.blocked_resources ?? []).map((value) => ({ kind: 'blocked_resource' as const, value })),
    ...Object.entries(p.sheets_access ?? {}).map(([value, detail]) => ({
      kind: 'sheets_access' as const,
      value,
      detail,
    })),
  ];
  return {
    domain: c.skill.domain,
    name: c.skill.name,
    role: c.skill.role ?? null,
    version: c.skill.version,
    description: c.skill.description.trim(),
    ownerTeam: c.owner_team,
    visibility: c.visibility,
    costCenter: c.cost_center ?? null,
    runtime: m.runtime,
    model: {
      primary: c.model?.primary ?? null,
      fallback: c.model?.fallback ?? null,
      temperature: c.model?.temperature ?? null,
      maxTokens: c.model?.max_tokens ?? null,
      maxCostPerExecution: c.model?.cost_budget?.max_per_execution ?? null,
      monthlyLimit: c.model?.cost_budget?.monthly_limit ?? null,
    },
    config: c,
    frontmatter: m.skillMd.frontmatter,
    search: m.search,
    triggers: (c.triggers ?? []).map((t) => {
      switch (t.type) {
        case 'message':
        case 'command':
          return { type: t.type, patterns: t.patterns, ...(t.channels ? { channels: t.channels } : {}) };
        case 'cron':
          return {
            type: t.type,
            schedule: t.schedule,
            enabled: t.enabled,
            ...(t.timezone ? { timezone: t.timezone } : {}),
          };
        case 'alert':
          return { type: t.type, sources: t.sources, ...(t.filters ? { filters: t.filters } : {}) };
        default:
          // The schema admits no other type; a new one must be mapped here before it is stored.
          throw new Error(`unmapped trigger type ${(t as { type: string }).type}`);
      }
    }),
    permissions,
    bundle,
    ...(actor ? { actor } : {}),
  };
}

/**
 * Validate a whole skill folder (as a map of relative path → bytes) at once:
 * aspora.config.yaml, SKILL.md, and how they agree with each other and with the files present.
 * Used by `aspora validate` on a folder and by the platform on an uploaded bundle, so both say the same.
 */
import { AsporaError, type Issue } from '../errors/index.ts';
import { SkillConfigSchema, type SkillConfig } from '../config/schema.ts';
import { parseDurationMs, parseSizeMb } from '../config/units.ts';
import { validateYaml } from '../yaml/validate.ts';
import { notActedOnWarnings } from '../config/not-acted-on.ts';
import { parseSkillMd, type SkillMd } from '../skillmd/frontmatter.ts';
import { searchText, type SearchText } from './search-text.ts';

export const CONFIG_FILE = 'aspora.config.yaml';
export const SKILL_MD = 'SKILL.md';

export type FileMap = ReadonlyMap<string, Uint8Array | { data: Uint8Array }>;

export interface SkillManifest {
  /** `domain/name`: the skill's identity on the platform. */
  ref: string;
  config: SkillConfig;
  skillMd: SkillMd;
  search: SearchText;
  runtime: {
    language: SkillConfig['runtime']['language'];
    entryPoint: string;
    timeoutMs: number;
    memoryMb: number;
    cpu: number;
  };
}

export interface SkillValidation {
  manifest?: SkillManifest;
  /** Errors: the bundle cannot be deployed while there is one. */
  issues: Issue[];
  /** Advice: deployable, but a reviewer would ask. */
  warnings: Issue[];
}

export interface ValidateOptions {
  /** Folder name the skill lives in; SKILL.md's name and skill.name must equal it. */
  folderName?: string;
  /** Prefix for file names in issues (e.g. the folder path the user typed). */
  displayRoot?: string;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function text(files: FileMap, path: string): string | undefined {
  const f = files.get(path);
  if (!f) return undefined;
  return decoder.decode(f instanceof Uint8Array ? f : f.data);
}

export function validateSkillFiles(files: FileMap, opts: ValidateOptions = {}): SkillValidation {
  const show = (p: string) => (opts.displayRoot ? `${opts.displayRoot.replace(/\/$/, '')}/${p}` : p);
  const issues: Issue[] = [];
  const warnings: Issue[] = [];

  let config: SkillConfig | undefined;
  const configText = safeText(files, CONFIG_FILE, show, issues);
  if (configText === undefined && !issues.length) {
    issues.push({
      file: show(CONFIG_FILE),
      message: 'missing aspora.config.yaml',
      hint: 'run `aspora create skill <domain>/<name>` or add the file (see docs/skill-format.md)',
    });
  } else if (configText !== undefined) {
    const r = validateYaml(SkillConfigSchema, configText, show(CONFIG_FILE));
    issues.push(...r.issues);
    config = r.value;
    if (config) warnings.push(...notActedOnWarnings(r.parsed, show(CONFIG_FILE)));
  }

  let skillMd: SkillMd | undefined;
  const mdText = safeText(files, SKILL_MD, show, issues);
  if (mdText === undefined) {
    if (!files.has(SKILL_MD))
      issues.push({
        file: show(SKILL_MD),
        message: 'missing SKILL.md',
        hint: 'add SKILL.md with frontmatter (name, description) and the instructions for the model',
      });
  } else {
    const r = parseSkillMd(mdText, show(SKILL_MD));
    issues.push(...r.issues);
    skillMd = r.value;
  }

  if (config) {
    const name = config.skill.name;
    if (opts.folderName && opts.folderName !== name) {
      issues.push({
        file: show(CONFIG_FILE),
        path: 'skill.name',
        message: `skill.name "${name}" differs from the folder name "${opts.folderName}"`,
        hint: `rename the folder to ${name} or set skill.name: ${opts.folderName}`,
      });
    }
    if (!files.has(config.runtime.entry_point)) {
      issues.push({
        file: show(CONFIG_FILE),
        path: 'runtime.entry_point',
        message: `entry point ${config.runtime.entry_point} does not exist in the skill folder`,
        hint: `create ${config.runtime.entry_point} or point runtime.entry_point at the handler file`,
      });
    }
  }
  if (skillMd) {
    const want = opts.folderName ?? config?.skill.name;
    if (want && skillMd.frontmatter.name !== want) {
      issues.push({
        file: show(SKILL_MD),
        line: 2,
        path: 'name',
        message: `SKILL.md name "${skillMd.frontmatter.name}" must equal the folder name "${want}"`,
        hint: `set name: ${want} in the SKILL.md frontmatter`,
      });
    }
  }
  for (const f of ['DECISIONS.md', 'GUARDRAILS.md']) {
    if (!files.has(f))
      warnings.push({
        file: show(f),
        message: `no ${f}`,
        hint:
          f === 'GUARDRAILS.md'
            ? 'write down what the skill must never do'
            : 'record the choices a successor would otherwise have to guess',
      });
  }
  if (![...files.keys()].some((p) => p.startsWith('tests/'))) {
    warnings.push({ file: show('tests/'), message: 'no tests', hint: 'add tests/unit/ (run them with `aspora test`)' });
  }

  if (issues.length || !config || !skillMd) return { issues, warnings };
  return {
    issues,
    warnings,
    manifest: {
      ref: `${config.skill.domain}/${config.skill.name}`,
      config,
      skillMd,
      search: searchText(config, skillMd.body, skillMd.frontmatter.description),
      runtime: {
        language: config.runtime.language,
        entryPoint: config.runtime.entry_point,
        timeoutMs: parseDurationMs(config.runtime.timeout),
        memoryMb: parseSizeMb(config.runtime.memory),
        cpu: config.runtime.cpu,
      },
    },
  };
}

function safeText(files: FileMap, path: string, show: (p: string) => string, issues: Issue[]): string | undefined {
  try {
    return text(files, path);
  } catch {
    issues.push({ file: show(path), message: 'file is not valid UTF-8 text', hint: 'save it as UTF-8' });
    return undefined;
  }
}

/** Like validateSkillFiles, but throws one AsporaError carrying every issue. */
export function requireValidSkill(files: FileMap, opts: ValidateOptions = {}): SkillManifest & { warnings: Issue[] } {
  const r = validateSkillFiles(files, opts);
  if (!r.manifest) {
    const n = r.issues.length;
    throw new AsporaError('BUNDLE_INVALID', `the skill has ${n} problem${n === 1 ? '' : 's'}`, {
      issues: r.issues,
      hint: 'fix the listed problems and try again (`aspora validate <folder>` shows them locally)',
    });
  }
  return { ...r.manifest, warnings: r.warnings };
}

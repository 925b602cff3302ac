/**
 * The fuzz targets: the boundaries a skill author or an API caller controls. Metadata lives here so
 * the parent thread knows a target's budget without loading its (sometimes heavy) module.
 */
export interface TargetInfo {
  name: string;
  about: string;
  /** Module (relative to this folder) whose default export is the FuzzTarget. */
  module: string;
  /** Runs in `npm test`: together a few tens of seconds on a shared 2-core machine. */
  suiteRuns: number;
  /** A case running longer than this is a hang. */
  hangMs: number;
  /** Setup (e.g. starting a platform) running longer than this is a hang. */
  setupMs?: number;
}

export const TARGETS: readonly TargetInfo[] = [
  {
    name: 'config',
    about: 'aspora.config.yaml + SKILL.md through validateSkillFiles',
    module: './config.ts',
    suiteRuns: 150,
    hangMs: 10_000,
  },
  {
    name: 'platform-file',
    about: 'aspora.platform.yaml through parsePlatformFile',
    module: './platform-file.ts',
    suiteRuns: 100,
    hangMs: 10_000,
  },
  {
    name: 'bundle',
    about: '.tar.gz through unpackBundle (and packFiles round trips)',
    module: './bundle.ts',
    suiteRuns: 250,
    hangMs: 10_000,
  },
  {
    name: 'protocol',
    about: 'protocol lines through readLines on a real socket',
    module: './protocol.ts',
    suiteRuns: 150,
    hangMs: 15_000,
  },
  {
    name: 'protocol-trickle',
    about: "readLines' memory for a line sent a byte per read",
    module: './protocol-trickle.ts',
    suiteRuns: 3,
    hangMs: 30_000,
  },
  {
    name: 'api',
    about: 'HTTP requests from /openapi.json against a live platform',
    module: './api.ts',
    suiteRuns: 150,
    hangMs: 20_000,
    setupMs: 120_000,
  },
];

export function targetInfo(name: string): TargetInfo {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) throw new Error(`no fuzz target ${name}; known: ${TARGETS.map((x) => x.name).join(', ')}`);
  return t;
}

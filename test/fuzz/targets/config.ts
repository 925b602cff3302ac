/**
 * aspora.config.yaml and SKILL.md, as a skill author uploads them, through validateSkillFiles
 * (what `aspora validate` and the platform's upload both run) and requireValidSkill.
 * Properties: no throw from validateSkillFiles; requireValidSkill throws only BUNDLE_INVALID;
 * issues are well-formed and bounded; a manifest has usable runtime figures.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AsporaError, requireValidSkill, validateSkillFiles } from '../../../packages/sdk/src/index.ts';
import { mutatedYaml } from '../arbitraries/yaml.ts';
import { SKILL_SEEDS } from '../arbitraries/seeds.ts';
import { clip, FuzzFailure, type FuzzTarget } from '../harness/target.ts';

interface Input {
  config: string | Uint8Array | undefined;
  skillMd: string | Uint8Array | undefined;
  entry: string | undefined;
  folderName: string | undefined;
}

const FRONTMATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n([\s\S]*)$/;
const mdParts = SKILL_SEEDS.map((s) => FRONTMATTER.exec(s.skillMd)!).map((m) => ({ front: m[1]!, body: m[2]! }));

const skillMd = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        mutatedYaml(mdParts.map((p) => p.front)),
        fc.nat(mdParts.length - 1),
        fc.constantFrom('---', '--- ', '---\t', '----', '...'),
      )
      .map(([front, i, fence]) => `---\n${front}\n${fence}\n${mdParts[i]!.body}`),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 200 }).map((s) => `---\n${s}`) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
);

const bytes = fc.uint8Array({ maxLength: 200 });

const arbitrary = fc.record({
  config: fc.oneof(
    { weight: 12, arbitrary: mutatedYaml(SKILL_SEEDS.map((s) => s.config)) },
    { weight: 1, arbitrary: bytes },
    { weight: 1, arbitrary: fc.constant(undefined) },
  ),
  skillMd: fc.oneof(
    { weight: 12, arbitrary: skillMd },
    { weight: 1, arbitrary: bytes },
    { weight: 1, arbitrary: fc.constant(undefined) },
  ),
  entry: fc.option(
    fc.constantFrom('code/handler.ts', 'code/handler.py', 'code/handler.go', 'code/main.mjs', '../x.ts'),
    { nil: undefined },
  ),
  folderName: fc.option(fc.constantFrom(...SKILL_SEEDS.map((s) => s.folder), 'other', ''), { nil: undefined }),
});

const enc = new TextEncoder();
const asBytes = (v: string | Uint8Array) => (typeof v === 'string' ? enc.encode(v) : v);

/** Issues may quote what they complain about, but must not blow it up (aliases expand). */
const MAX_ISSUE_BYTES = (inputBytes: number) => 20 * inputBytes + 256 * 1024;

const target: FuzzTarget<Input> = {
  arbitrary: () => arbitrary,
  preview: (x) =>
    `config=${typeof x.config === 'string' ? clip(x.config) : String(x.config && `${x.config.length} bytes`)} SKILL.md=${typeof x.skillMd === 'string' ? clip(x.skillMd, 200) : String(x.skillMd && `${x.skillMd.length} bytes`)}`,
  check(x) {
    const files = new Map<string, Uint8Array>();
    if (x.config !== undefined) files.set('aspora.config.yaml', asBytes(x.config));
    if (x.skillMd !== undefined) files.set('SKILL.md', asBytes(x.skillMd));
    if (x.entry) files.set(x.entry, enc.encode('export const handler = async () => ({ success: true });'));
    const opts = x.folderName !== undefined ? { folderName: x.folderName } : {};
    const inputBytes = [...files.values()].reduce((n, b) => n + b.length, 0);

    let r: ReturnType<typeof validateSkillFiles>;
    try {
      r = validateSkillFiles(files, opts);
    } catch (e) {
      throw new FuzzFailure(
        `validateSkillFiles threw ${(e as Error)?.name}: ${String((e as Error)?.message).slice(0, 60)}`,
        String((e as Error)?.stack ?? e),
      );
    }
    for (const i of [...r.issues, ...r.warnings]) {
      assert.equal(typeof i.file, 'string');
      assert.ok(typeof i.message === 'string' && i.message.length > 0, 'an issue without a message');
      for (const n of [i.line, i.column])
        if (n !== undefined)
          assert.ok(Number.isInteger(n) && n >= 1, `issue position ${n} is not a line/column number`);
    }
    const size = Buffer.byteLength(JSON.stringify(r.issues));
    if (size > MAX_ISSUE_BYTES(inputBytes))
      throw new FuzzFailure('issues amplify the input', `${size} bytes of issues from ${inputBytes} bytes of input`);
    if (r.manifest) {
      assert.equal(r.issues.length, 0, 'a manifest despite issues');
      const rt = r.manifest.runtime;
      assert.ok(Number.isFinite(rt.timeoutMs) && rt.timeoutMs >= 0, `timeoutMs ${rt.timeoutMs}`);
      assert.ok(Number.isFinite(rt.memoryMb) && rt.memoryMb >= 1, `memoryMb ${rt.memoryMb}`);
      assert.match(r.manifest.ref, /^[a-z0-9-]+\/[a-z0-9-]+$/);
      JSON.stringify(r.manifest);
    } else {
      assert.ok(r.issues.length > 0, 'no manifest and no issue saying why');
    }

    try {
      requireValidSkill(files, opts);
      assert.ok(r.manifest, 'requireValidSkill accepted what validateSkillFiles refused');
    } catch (e) {
      if (!(e instanceof AsporaError) || e.code !== 'BUNDLE_INVALID')
        throw new FuzzFailure(
          `requireValidSkill threw ${(e as Error)?.name} ${(e as AsporaError)?.code ?? ''}`,
          String((e as Error)?.stack ?? e),
        );
      assert.ok(e.issues.length > 0 && e.hint);
    }
  },
};

export default target;

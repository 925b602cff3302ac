/** Fuzzing the YAML a skill author writes and an admin writes (test/fuzz/targets/config.ts, platform-file.ts). */
import { test } from 'node:test';
import { assertTarget } from './harness/run.ts';

test('aspora.config.yaml and SKILL.md, mutated: validateSkillFiles never throws, hangs or amplifies; requireValidSkill throws only BUNDLE_INVALID', {
  timeout: 300_000,
}, async () => {
  await assertTarget('config');
});

test('aspora.platform.yaml, mutated, with an environment: parsePlatformFile returns or throws CONFIG_INVALID, nothing else', {
  timeout: 300_000,
}, async () => {
  await assertTarget('platform-file');
});

/**
 * aspora.platform.yaml (written by the platform's admins; lower stakes than a skill's files, same
 * parser) through parsePlatformFile with an environment for its ${VAR} references.
 * Property: a PlatformFile, or an AsporaError CONFIG_INVALID with issues — nothing else is thrown.
 */
import fc from 'fast-check';
import { AsporaError } from '../../../packages/sdk/src/index.ts';
import { parsePlatformFile } from '../../../packages/platform/src/config/platform-file.ts';
import { mutatedYaml } from '../arbitraries/yaml.ts';
import { PLATFORM_FILE_SEED } from '../arbitraries/seeds.ts';
import { clip, FuzzFailure, type FuzzTarget } from '../harness/target.ts';

interface Input {
  text: string;
  env: Record<string, string>;
}

const referenced = [...new Set([...PLATFORM_FILE_SEED.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!))];
const envValue = fc.oneof(
  fc.constantFrom(
    '',
    'http://localhost:1',
    'not a url',
    '5s',
    'x\nsecrets: {}',
    '${OTHER}',
    '"',
    "'",
    '{',
    '[',
    '\u0000',
    '}',
    ':-',
  ),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
);
const envName = fc.oneof(
  fc.constantFrom(...(referenced.length ? referenced : ['HOME'])),
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/),
);

const arbitrary: fc.Arbitrary<Input> = fc.record({
  text: fc.oneof(
    { weight: 9, arbitrary: mutatedYaml([PLATFORM_FILE_SEED]) },
    // ${VAR} references spliced in where the mutations did not put any.
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          mutatedYaml([PLATFORM_FILE_SEED]),
          fc.nat(),
          envName,
          fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
        )
        .map(([t, at, v, d]) => {
          const i = at % (t.length + 1);
          return `${t.slice(0, i)}\${${v}${d !== undefined ? `:-${d}` : ''}}${t.slice(i)}`;
        }),
    },
  ),
  env: fc.dictionary(envName, envValue, { maxKeys: 6 }),
});

const target: FuzzTarget<Input> = {
  arbitrary: () => arbitrary,
  preview: (x) => `text=${clip(x.text)} env=${clip(JSON.stringify(x.env), 200)}`,
  check(x) {
    try {
      parsePlatformFile(x.text, 'aspora.platform.yaml', x.env);
    } catch (e) {
      if (e instanceof AsporaError && e.code === 'CONFIG_INVALID' && e.issues.length > 0) return;
      throw new FuzzFailure(
        `parsePlatformFile threw ${(e as Error)?.name} ${(e as AsporaError)?.code ?? ''}: ${String((e as Error)?.message).slice(0, 60)}`,
        String((e as Error)?.stack ?? e),
      );
    }
  },
};

export default target;

/**
 * The scratch reset between executions against a handler that keeps running after its result
 * (a goroutine, a thread): it swaps a folder in /scratch for a symlink to a host folder full of
 * root-owned files while the host empties /scratch. A reset that follows the link deletes host
 * files as the platform's user; every one of them must survive, over several executions.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runtimeFixture, type TestSkill } from '../test-support.ts';
import { skipUnless, suiteUnless } from '../../../test/tools.ts';

const FOLDERS = 10;
const PER_FOLDER = 100;
/** A frozen worker races only between freezes; unfrozen, each reset is a long race (and ends in a cold start). */
const EXECUTIONS = { frozen: 15, unfrozen: 6 };

/** Swaps /scratch/d between a real folder (with files) and a symlink to the victim, forever. */
const HANDLERS: Record<'go' | 'python' | 'typescript', string> = {
  go: `package main

import (
	"fmt"
	"os"
	"sync"

	aspora "github.com/aspora/sdk-go"
)

var once sync.Once

// Each slot flips every round: a real folder with files, then a symlink to the victim.
func swap(victim string, slots []int) {
	for round := 0; ; round++ {
		for _, k := range slots {
			d, o := fmt.Sprintf("/scratch/d%d", k), fmt.Sprintf("/scratch/o%d", k)
			if round%2 == 0 {
				os.Remove(d)
				os.RemoveAll(o)
				os.Mkdir(d, 0o755)
				for j := 0; j < 3; j++ {
					os.WriteFile(fmt.Sprintf("%s/f%d", d, j), nil, 0o644)
				}
			} else {
				os.Rename(d, o)
				os.Symlink(victim, d)
			}
		}
	}
}

func Handler(ctx *aspora.SkillContext) (*aspora.SkillResult, error) {
	victim, _ := ctx.Input.Metadata["victim"].(string)
	once.Do(func() {
		go swap(victim, []int{0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30})
		go swap(victim, []int{1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31})
	})
	return &aspora.SkillResult{Success: true, Message: "swapping"}, nil
}
`,
  python: `import os
import shutil
import threading

from aspora_sdk import SkillResult, skill_handler

started = False


def swap(victim):
    """Each slot flips every round: a real folder with files, then a symlink to the victim."""
    rnd = 0
    while True:
        for k in range(32):
            d, o = "/scratch/d%d" % k, "/scratch/o%d" % k
            try:
                if rnd % 2 == 0:
                    if os.path.islink(d):
                        os.remove(d)
                    shutil.rmtree(o, ignore_errors=True)
                    os.mkdir(d)
                    for j in range(3):
                        open("%s/f%d" % (d, j), "w").close()
                else:
                    os.rename(d, o)
                    os.symlink(victim, d)
            except OSError:
                pass
        rnd += 1


@skill_handler
async def handler(context):
    global started
    if not started:
        started = True
        threading.Thread(target=swap, args=(context.input.metadata["victim"],), daemon=True).start()
    return SkillResult(success=True, message="swapping")
`,
  typescript: `import { mkdirSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';

let round = 0;
let timer;

function flip(victim) {
  for (let k = 0; k < 32; k++) {
    const d = '/scratch/d' + k, o = '/scratch/o' + k;
    try {
      if (round % 2 === 0) {
        try { unlinkSync(d); } catch {}
        rmSync(o, { recursive: true, force: true });
        mkdirSync(d);
        for (let j = 0; j < 3; j++) writeFileSync(d + '/f' + j, '');
      } else {
        renameSync(d, o);
        symlinkSync(victim, d);
      }
    } catch {}
  }
  round++;
}

export const handler = async (ctx) => {
  // A timer outlives the result: it flips between executions, while the host resets.
  timer ??= setInterval(() => flip(ctx.input.metadata.victim), 0);
  return { success: true, message: 'swapping' };
};
`,
};

let frozen: Awaited<ReturnType<typeof runtimeFixture>>;
/** No cgroups, so no freezer: the remover alone stands between the handler and the host's files. */
let unfrozen: Awaited<ReturnType<typeof runtimeFixture>>;
let victim: string;
before(async () => {
  frozen = await runtimeFixture();
  unfrozen = await runtimeFixture({ env: { ASPORA_CGROUPS: 'off' } });
  victim = mkdtempSync(join(tmpdir(), 'aspora-victim-'));
});
after(async () => {
  await frozen.close();
  await unfrozen.close();
  rmSync(victim, { recursive: true, force: true });
});

/** The victim's files: FOLDERS folders of PER_FOLDER files, and as many at its top. */
function fillVictim(): number {
  for (let i = 0; i < PER_FOLDER; i++) writeFileSync(join(victim, `f${i}`), 'host file');
  for (let d = 0; d < FOLDERS; d++) {
    mkdirSync(join(victim, `d${d}`), { recursive: true });
    for (let i = 0; i < PER_FOLDER; i++) writeFileSync(join(victim, `d${d}`, `f${i}`), 'host file');
  }
  return count(victim);
}

function count(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce(
    (n, e) => n + (e.isDirectory() ? count(join(dir, e.name)) : 1),
    0,
  );
}

const CASES = [
  { lang: 'go', how: 'a goroutine', cgroups: true },
  { lang: 'python', how: 'a thread', cgroups: true },
  { lang: 'python', how: 'a thread', cgroups: false },
  { lang: 'typescript', how: 'a timer', cgroups: false },
] as const;

for (const { lang, how, cgroups } of CASES) {
  describe(
    `${how} of a ${lang} handler swaps a /scratch folder for a symlink to a host folder during the reset (${cgroups ? 'worker frozen' : 'no cgroups: not frozen'})`,
    suiteUnless(lang === 'go' ? skipUnless('go') : undefined, () => {
      test('every host file survives several executions and their resets', async () => {
        const f = cgroups ? frozen : unfrozen;
        const skill: TestSkill = { name: `swapper-${lang}`, language: lang, handler: HANDLERS[lang], timeout: '20s' };
        await f.deploy(skill);
        const total = fillVictim();
        const errors: unknown[] = [];
        for (let i = 0; i < EXECUTIONS[cgroups ? 'frozen' : 'unfrozen']; i++) {
          const r = await f.runtime.run({ ref: `test/swapper-${lang}`, input: { metadata: { victim } } });
          if (r.error) errors.push(r.error);
          // Let the swapper run past the reset a little; the next execution's reset races it again.
          await new Promise((res) => setTimeout(res, 50));
        }
        f.runtime.retire(`test/swapper-${lang}`);
        assert.equal(count(victim), total, `host files deleted by the reset: ${total - count(victim)} of ${total}`);
        // The handler's result stands: a worker that still writes after it is killed, not the execution.
        assert.deepEqual(errors, []);
      });
    }),
  );
}

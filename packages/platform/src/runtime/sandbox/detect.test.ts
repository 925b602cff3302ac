/**
 * The sandbox probe: bubblewrap run the way launches run it. This host's bwrap (0.8.0+) gets
 * --disable-userns; an older one (a wrapper refusing the flag stands in for it) falls back to the
 * seccomp filter alone and says why; one that cannot run at all is refused with its reason.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipUnless } from '../../../test/tools.ts';
import { probeBwrap, probeSandbox } from './detect.ts';

const noBwrap = skipUnless('bubblewrap');
let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'aspora-detect-'));
  chmodSync(dir, 0o755); // the sandbox user runs the stand-ins when the platform is root
});
after(() => rmSync(dir, { recursive: true, force: true }));

function standIn(name: string, script: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  return p;
}

test('this bubblewrap disables nested user namespaces', { skip: noBwrap }, () => {
  assert.deepEqual(probeBwrap(), { ok: true, features: { disableUserns: true } });
});

test('a bubblewrap without --disable-userns still sandboxes, under the filter alone, and says so', {
  skip: noBwrap,
}, () => {
  const old = standIn(
    'bwrap-0.6',
    'for a; do [ "$a" = --disable-userns ] && { echo "bwrap: Unknown option --disable-userns" >&2; exit 1; }; done; exec bwrap "$@"',
  );
  const p = probeSandbox(old);
  assert.equal(p.ok, true, p.reason);
  assert.deepEqual(p.features, { disableUserns: false });
  assert.match(p.warning!, /Unknown option --disable-userns.*seccomp filter still refuses unshare/);
});

test('a bubblewrap that cannot load the filter is not used', () => {
  const p = probeSandbox(standIn('bwrap-broken', 'echo "bwrap: prctl(PR_SET_SECCOMP): Invalid argument" >&2; exit 1'));
  assert.deepEqual(p, { ok: false, reason: 'bwrap: prctl(PR_SET_SECCOMP): Invalid argument' });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { slackSignature } from '../../../../../tools/slack-stub/src/server.ts';
import { SLACK_WINDOW_S, verifySlackSignature } from './signature.ts';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const BODY = 'token=x&team_id=T1&command=%2Fecm&text=my+tickets';
const NOW = 1_700_000_000_000;
const ts = String(NOW / 1000);
const code = (f: () => void) => {
  try {
    f();
    return 'accepted';
  } catch (e) {
    return `${(e as { code?: string }).code}: ${(e as Error).message}`;
  }
};

test("Slack's documented example signature verifies", () => {
  // The example from Slack's "Verifying requests from Slack" guide.
  const body =
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
  const stamp = '1531420618';
  const sig = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
  assert.equal(slackSignature('8f742231b10e8888abcd99yyyzzz85a5', stamp, body), sig);
  assert.equal(
    code(() =>
      verifySlackSignature(
        '8f742231b10e8888abcd99yyyzzz85a5',
        { timestamp: stamp, signature: sig },
        body,
        1531420618_000,
      ),
    ),
    'accepted',
  );
});

test('a good signature within the window is accepted, at either edge', () => {
  for (const skew of [0, SLACK_WINDOW_S, -SLACK_WINDOW_S]) {
    const t = String(NOW / 1000 + skew);
    assert.equal(
      code(() => verifySlackSignature(SECRET, { timestamp: t, signature: slackSignature(SECRET, t, BODY) }, BODY, NOW)),
      'accepted',
    );
  }
});

test('bad, missing, malformed and stale signatures are refused as UNAUTHORIZED', () => {
  const good = slackSignature(SECRET, ts, BODY);
  const cases: Array<[string, { timestamp: string | undefined; signature: string | undefined }, string]> = [
    ['another secret', { timestamp: ts, signature: slackSignature('other', ts, BODY) }, /bad signature/.source],
    ['another body', { timestamp: ts, signature: slackSignature(SECRET, ts, `${BODY}&x=1`) }, /bad signature/.source],
    ['a shorter signature', { timestamp: ts, signature: good.slice(0, -2) }, /bad signature/.source],
    ['v1 scheme', { timestamp: ts, signature: good.replace('v0=', 'v1=') }, /bad signature/.source],
    ['no signature', { timestamp: ts, signature: undefined }, /no X-Slack-Signature/.source],
    ['no timestamp', { timestamp: undefined, signature: good }, /no X-Slack-Signature/.source],
    ['a malformed timestamp', { timestamp: `${ts}.5`, signature: good }, /malformed timestamp/.source],
    [
      'a stale timestamp',
      {
        timestamp: String(NOW / 1000 - SLACK_WINDOW_S - 1),
        signature: slackSignature(SECRET, String(NOW / 1000 - SLACK_WINDOW_S - 1), BODY),
      },
      /outside 5 minutes/.source,
    ],
    [
      'a future timestamp',
      {
        timestamp: String(NOW / 1000 + SLACK_WINDOW_S + 1),
        signature: slackSignature(SECRET, String(NOW / 1000 + SLACK_WINDOW_S + 1), BODY),
      },
      /outside 5 minutes/.source,
    ],
  ];
  for (const [what, h, why] of cases) {
    const got = code(() => verifySlackSignature(SECRET, h, BODY, NOW));
    assert.match(got, new RegExp(`^UNAUTHORIZED: .*${why}`), what);
  }
});

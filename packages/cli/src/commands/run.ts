import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { AsporaError } from '@aspora/sdk';
import { common, type CommandContext } from '../program.ts';
import { bold, dim, green, printJson, red, yellow } from '../output.ts';
import { parseSkillRef as parseRef, type Execution as ExecutionRecord } from '@aspora/api';

const SLOW_RUN_NOTE_MS = 1000;

interface RunOptions {
  input?: string;
  inputFile?: string;
  message?: string;
  meta: string[];
  env: 'staging' | 'production';
  version?: string;
  workflow?: string;
  logs: boolean;
}

/** --input JSON | --input-file F (or - for stdin) | --message text with --meta key=value. */
function inputOf(o: RunOptions): Record<string, unknown> {
  let input: Record<string, unknown> = {};
  const raw = o.inputFile ? readFileSync(o.inputFile === '-' ? 0 : o.inputFile, 'utf8') : o.input;
  if (raw !== undefined) {
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (e) {
      throw new AsporaError('BAD_REQUEST', `--input is not JSON: ${(e as Error).message}`, {
        hint: `quote it for the shell: --input '{"userMessage":"…","metadata":{…}}'`,
      });
    }
    if (!v || typeof v !== 'object' || Array.isArray(v))
      throw new AsporaError('BAD_REQUEST', '--input must be a JSON object', {
        hint: '{"userMessage": "…", "metadata": {…}}',
      });
    input = v as Record<string, unknown>;
  }
  if (o.message !== undefined) input.userMessage = o.message;
  if (o.meta.length) {
    const metadata = { ...((input.metadata as Record<string, unknown>) ?? {}) };
    for (const kv of o.meta) {
      const i = kv.indexOf('=');
      if (i <= 0) throw new AsporaError('BAD_REQUEST', `--meta ${kv}: expected key=value`);
      const value = kv.slice(i + 1);
      metadata[kv.slice(0, i)] = /^(-?\d+(\.\d+)?|true|false|null)$/.test(value) ? JSON.parse(value) : value;
    }
    input.metadata = metadata;
  }
  return input;
}

export function printExecution(r: ExecutionRecord, showLogs: boolean): void {
  const out = process.stderr;
  const res = r.result as { success: boolean; message: string; data?: unknown; confidence?: number } | null;
  // Which version served it, and which side of a release in flight (aspora releases shows the release).
  const served = `${r.ref}@${r.version}${r.variant ? dim(` (${r.variant}, release #${r.releaseId})`) : ''}`;
  if (r.error) {
    out.write(`${red('✗')} ${served} failed: ${r.error.message} ${dim(`[${r.error.code}]`)}\n`);
    if (r.error.details) out.write(`  ${dim(JSON.stringify(r.error.details))}\n`);
  } else if (res) {
    out.write(
      `${res.success ? green('✓') : yellow('!')} ${served}${res.confidence !== undefined ? dim(`  confidence ${res.confidence}`) : ''}\n`,
    );
    process.stdout.write(`${res.message}\n`);
    if (res.data && Object.keys(res.data).length) process.stdout.write(`${JSON.stringify(res.data, null, 2)}\n`);
  }
  const by = r.model.providers?.length ? ` (${r.model.providers.join(', ')})` : '';
  const model = r.model.calls
    ? `, ${r.model.calls} model call${r.model.calls === 1 ? '' : 's'} $${r.model.cost.toFixed(4)}${by}`
    : '';
  const build = r.buildMs ? ` · handler built in ${(r.buildMs / 1000).toFixed(1)} s first` : '';
  out.write(
    dim(
      `execution ${r.id} · ${r.durationMs ?? '?'} ms${build} · ${r.hostCalls} host call${r.hostCalls === 1 ? '' : 's'}${r.deniedCalls ? `, ${r.deniedCalls} denied` : ''}${model}\n`,
    ),
  );
  if (showLogs)
    for (const l of r.logs)
      out.write(`  ${dim(l.level.padEnd(5))} ${l.msg}${l.fields ? ` ${dim(JSON.stringify(l.fields))}` : ''}\n`);
}

export function registerRun(program: Command, ctx: CommandContext): void {
  common(
    program
      .command('run')
      .description("Run a deployed skill's handler in the platform's sandbox and print its result and execution id")
      .argument('<skill>', 'domain/name[@version]')
      .option(
        '--input <json>',
        'the SkillInput as JSON: {"userMessage", "metadata"} (the user is who you are logged in as)',
      )
      .option('--input-file <file>', 'read the input JSON from a file (- for stdin)')
      .option('-m, --message <text>', 'the user message (overrides input.userMessage)')
      .option(
        '--meta <key=value>',
        'a metadata field (repeatable; numbers and booleans are parsed)',
        (v: string, acc: string[]) => [...acc, v],
        [],
      )
      .addOption(
        new Option('--env <environment>', 'environment whose version runs')
          .choices(['staging', 'production'])
          .default('production'),
      )
      .option('--version <version>', 'run this registered version instead')
      .option('--workflow <id>', 'workflow id, to link this run with others')
      .option('--logs', 'print the execution logs too', false)
      .addHelpText(
        'after',
        `\nExit code: 0 when the skill succeeded, 1 when it failed or reported success: false.\n\nExamples:\n  aspora run fraud/block-transaction --input '{"userMessage":"block payment tx_123","metadata":{"transactionId":"tx_123"}}'\n  aspora run fraud/block-transaction -m "block tx_123" --meta transactionId=tx_123 --env staging\n  aspora run wealth/fx-timing@1.0.2 --input-file request.json --json`,
      ),
  ).action(async (skill: string, o: RunOptions, cmd: Command) => {
    const ref = parseRef(skill);
    if (ref.version && o.version && ref.version !== o.version)
      throw new AsporaError('BAD_REQUEST', `two versions given: ${skill} and --version ${o.version}`);
    const version = ref.version ?? o.version;
    const json = ctx.globals(cmd).json;
    // A run that answers in no time says nothing; one that takes longer says why it may (the
    // record's buildMs then tells how long the build took).
    const note = json
      ? undefined
      : setTimeout(
          () =>
            process.stderr.write(
              dim(`… waiting for ${ref.id}: the first run of a version builds its handler first (a Go build takes seconds)
`),
            ),
          SLOW_RUN_NOTE_MS,
        );
    const r = await ctx
      .client(cmd)
      .runSkill({
        params: ref,
        body: {
          input: inputOf(o),
          ...(version ? { version } : { environment: o.env }),
          ...(o.workflow ? { workflowId: o.workflow } : {}),
        },
      })
      .finally(() => clearTimeout(note));
    if (json) printJson(r);
    else printExecution(r, o.logs);
    if (!r.success) process.exitCode = 1;
  });

  common(
    program
      .command('execution')
      .description('Show one execution: result or error, logs, model usage, parent and workflow')
      .argument('<id>', 'execution id (printed by aspora run)'),
  ).action(async (id: string, _o: unknown, cmd: Command) => {
    const r = await ctx.client(cmd).getExecution({ params: { id } });
    if (ctx.globals(cmd).json) return printJson(r);
    printExecution(r, true);
    const links = [
      r.parentExecutionId && `parent ${r.parentExecutionId}`,
      r.workflowId && `workflow ${r.workflowId}`,
      `trigger ${r.trigger}`,
      r.userId && `user ${r.userId}`,
      // A channel that acted for the user (a service token with act-as) is named beside them.
      r.caller && r.caller !== r.userId && `called by ${r.caller}`,
    ].filter(Boolean);
    process.stderr.write(dim(`${bold(r.startedAt)} · ${links.join(' · ')}\n`));
  });
}

/**
 * Reads a secret (a token, a secret's value) from stdin rather than the command line, where it
 * would stay in the shell's history and show in `ps`. From a terminal: one line, typed or pasted
 * without echo. From a pipe or file: all of it, bounded, less one final line end.
 */
import { AsporaError } from '@aspora/sdk';

export interface SecretInputOptions {
  /** Longest secret accepted, in bytes (from a pipe) or characters (typed). */
  max: number;
  input?: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  /** Where the prompt goes (never stdout: it is for results). */
  output?: NodeJS.WritableStream;
}

export async function readSecret(prompt: string, opts: SecretInputOptions): Promise<string> {
  const input = opts.input ?? process.stdin;
  const output = opts.output ?? process.stderr;
  return input.isTTY && input.setRawMode ? typed(prompt, input, output, opts.max) : piped(input, opts.max);
}

async function piped(input: NodeJS.ReadableStream, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of input) {
    const b = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    size += b.length;
    if (size > max)
      throw new AsporaError('PAYLOAD_TOO_LARGE', `more than ${max} bytes on stdin`, {
        hint: 'pipe only the secret itself',
      });
    chunks.push(b);
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function typed(
  prompt: string,
  input: NodeJS.ReadableStream & { setRawMode?: (raw: boolean) => unknown },
  output: NodeJS.WritableStream,
  max: number,
): Promise<string> {
  output.write(prompt);
  input.setRawMode!(true);
  input.setEncoding('utf8');
  input.resume();
  let value = '';
  return new Promise((resolve, reject) => {
    const finish = (err?: Error) => {
      input.removeListener('data', onData);
      input.setRawMode!(false);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (s: string) => {
      for (const ch of s) {
        if (ch === '\r' || ch === '\n' || (ch === '\x04' && !value)) return finish();
        if (ch === '\x03')
          return finish(new AsporaError('BAD_REQUEST', 'cancelled', { hint: 'nothing was saved or sent' }));
        if (ch === '\x7f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
        if (value.length > max)
          return finish(
            new AsporaError('PAYLOAD_TOO_LARGE', `longer than ${max} characters`, {
              hint: 'paste only the secret itself',
            }),
          );
      }
    };
    input.on('data', onData);
  });
}

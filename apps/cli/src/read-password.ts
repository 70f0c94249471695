// A new user's password, never from the command line (where `ps` and shell history would keep it).
import { AppError, newPasswordInput } from '@signoff/core';
import { z } from 'zod';

const passwordEnv = z.object({
  SIGNOFF_USER_PASSWORD: z.preprocess((v) => (v === '' ? undefined : v), z.string().optional()),
});

export interface PasswordSource {
  /** Read it from standard input (all of it, one trailing newline removed). */
  stdin?: boolean;
}

/**
 * The password, from standard input (`--password-stdin`), else `$SIGNOFF_USER_PASSWORD`, else a
 * prompt (typed twice, not echoed) when there is a terminal. No source, a mismatch or a password
 * that is too short is a `BAD_INPUT`.
 *
 * @example
 * // $ printf '%s' "$PW" | signoff users add kim@bank.example --name Kim --role reviewer --password-stdin
 * const password = await readNewPassword({ stdin: opts.passwordStdin }, 'kim@bank.example');
 */
export async function readNewPassword(source: PasswordSource, forWhom: string): Promise<string> {
  const password = source.stdin
    ? (await readAll(process.stdin)).replace(/\r?\n$/, '')
    : (passwordEnv.parse(process.env).SIGNOFF_USER_PASSWORD ??
      (process.stdin.isTTY ? await promptTwice(forWhom) : undefined));
  if (password === undefined)
    throw new AppError(
      'BAD_INPUT',
      'No password: pipe it in with --password-stdin, set SIGNOFF_USER_PASSWORD, or run in a terminal to be asked',
    );
  const parsed = newPasswordInput.safeParse(password);
  if (!parsed.success) throw new AppError('BAD_INPUT', parsed.error.issues[0]?.message ?? 'Unusable password');
  return parsed.data;
}

async function readAll(stream: NodeJS.ReadStream): Promise<string> {
  let text = '';
  stream.setEncoding('utf8');
  for await (const chunk of stream) text += chunk;
  return text;
}

async function promptTwice(forWhom: string): Promise<string> {
  const first = await promptHidden(`Password for ${forWhom}: `);
  const second = await promptHidden('Type it again: ');
  if (first !== second) throw new AppError('BAD_INPUT', 'The two passwords differ');
  return first;
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  const { stdin, stderr } = process;
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          finish();
          resolve(value);
          return;
        }
        if (ch === '\u0003' || ch === '\u0004') {
          finish();
          reject(new AppError('BAD_INPUT', 'Cancelled'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stderr.write(question);
    stdin.setEncoding('utf8');
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

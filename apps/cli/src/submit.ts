// `signoff submit FILE.jsonl`: streams a JSON-lines file to a server's ingestion API in batches.

import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { AppError } from '@signoff/core';
import { MAX_BATCH_BODY_BYTES } from '@signoff/server';
import { z } from 'zod';
import { type BatchClientOptions, sendBatch } from './submit-client';
import { defaultIdempotencyPrefix, type LineError, parseSubmitLine } from './submit-lines';
import { createSubmitProgress, type ProgressState, type SubmitCounts, type SubmitProgress } from './submit-progress';

/** Rejected lines printed as they happen; the rest are counted (and all go to `--errors`). */
const MAX_PRINTED_REJECTIONS = 20;
/** A batch's JSON stays well under the server's body limit whatever `--batch-size` says. */
const MAX_BATCH_JSON_BYTES = Math.floor(MAX_BATCH_BODY_BYTES * 0.8);

export interface SubmitFileOptions {
  file: string;
  url: string;
  apiKey: string;
  workflow?: string | undefined;
  batchSize: number;
  concurrency: number;
  idempotencyPrefix?: string | undefined;
  /** Write rejected lines here, one JSON object per line. */
  errorsFile?: string | undefined;
  retryDelayMs?: number | undefined;
  progress?: SubmitProgress;
}

export interface SubmitSummary extends SubmitCounts {
  lines: number;
  seconds: number;
  itemsPerSecond: number;
  /** Why the run stopped early (bad API key, not a Signoff server…), if it did. */
  fatal?: string;
}

const submitEnv = z.object({
  SIGNOFF_URL: z.preprocess((v) => (v === '' ? undefined : v), z.url().default('http://127.0.0.1:3000')),
  SIGNOFF_API_KEY: z.preprocess((v) => (v === '' ? undefined : v), z.string().optional()),
});

/** `--url` and `--api-key` defaults: the environment's SIGNOFF_URL and SIGNOFF_API_KEY. */
export function readSubmitEnv(source: NodeJS.ProcessEnv = process.env): z.infer<typeof submitEnv> {
  const parsed = submitEnv.safeParse(source);
  if (!parsed.success)
    throw new AppError('BAD_INPUT', `Bad environment: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  return parsed.data;
}

interface Line {
  line: number;
  bytes: number;
}

interface Batch {
  lines: Line[];
  items: Record<string, unknown>[];
  jsonBytes: number;
}

/**
 * Reads `file` line by line (never whole: memory stays flat however big it is), sends the items in
 * batches with `concurrency` requests in flight, and counts what became of every line. Lines
 * without an idempotency key get one from the prefix and their line number, so a second run of the
 * same file creates nothing new.
 *
 * @example
 * const summary = await submitFile({ file: 'tickets.jsonl', url, apiKey, workflow: 'support-triage', batchSize: 500, concurrency: 2 });
 * if (summary.invalid || summary.failed) process.exitCode = 1;
 */
export async function submitFile(options: SubmitFileOptions): Promise<SubmitSummary> {
  const started = Date.now();
  const stats = await stat(options.file).catch((e: unknown) => {
    throw new AppError('NOT_FOUND', `Cannot read ${options.file}`, { cause: e });
  });
  const prefix = options.idempotencyPrefix ?? defaultIdempotencyPrefix(options.file, stats);
  const errors = options.errorsFile ? await openErrorsFile(options.errorsFile) : undefined;
  const progress = options.progress ?? createSubmitProgress(stats.size);
  const state: ProgressState = { doneBytes: 0, lines: 0, created: 0, existing: 0, invalid: 0, failed: 0 };
  const controller = new AbortController();
  const client: BatchClientOptions = {
    url: options.url,
    apiKey: options.apiKey,
    signal: controller.signal,
    ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
  };
  let fatal: string | undefined;
  let printed = 0;

  const reject = (line: number, status: 'invalid' | 'failed', error: LineError, print = true) => {
    state[status]++;
    errors?.write(`${JSON.stringify({ line, status, error })}\n`);
    if (print && printed++ < MAX_PRINTED_REJECTIONS) progress.note(`line ${line}: ${status}: ${describe(error)}`);
  };

  const runBatch = async (batch: Batch) => {
    const outcome = await sendBatch(batch.items, client).catch(
      (e: unknown) => ({ ok: false, fatal: false, error: { code: 'CLIENT', message: String(e) } }) as const,
    );
    if (!outcome.ok) {
      if (outcome.fatal && !fatal) {
        fatal = outcome.error.message;
        controller.abort();
      }
      // One note for the whole batch: its lines share the one reason.
      const first = batch.lines[0]?.line;
      const last = batch.lines.at(-1)?.line;
      if (outcome.error.code !== 'ABORTED') progress.note(`lines ${first}-${last}: failed: ${describe(outcome.error)}`);
      for (const l of batch.lines) reject(l.line, 'failed', outcome.error, false);
    } else {
      outcome.results.forEach((r, i) => {
        const line = (batch.lines[i] as Line).line;
        if (r.status === 'created' || r.status === 'existing') state[r.status]++;
        else reject(line, r.status === 'invalid' ? 'invalid' : 'failed', r.error ?? { code: 'UNKNOWN', message: '' });
      });
    }
    for (const l of batch.lines) state.doneBytes += l.bytes;
    progress.update(state);
  };

  const inFlight = new Set<Promise<void>>();
  const dispatch = async (batch: Batch) => {
    while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
    if (fatal) return;
    const p: Promise<void> = runBatch(batch).finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  const input = createReadStream(options.file);
  const reader = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let batch: Batch = { lines: [], items: [], jsonBytes: 0 };
  try {
    for await (const text of reader) {
      if (fatal) break;
      const line = ++state.lines;
      const bytes = Buffer.byteLength(text) + 1;
      const parsed = parseSubmitLine(text, line, { workflow: options.workflow, idempotencyPrefix: prefix });
      if (parsed.kind !== 'item') {
        if (parsed.kind === 'rejected') reject(line, 'invalid', parsed.error);
        state.doneBytes += bytes;
        continue;
      }
      // The line's length stands in for its re-serialised size, plus room for a derived key.
      const jsonBytes = bytes + prefix.length + 32;
      if (batch.items.length > 0 && batch.jsonBytes + jsonBytes > MAX_BATCH_JSON_BYTES) {
        await dispatch(batch);
        batch = { lines: [], items: [], jsonBytes: 0 };
      }
      batch.lines.push({ line, bytes });
      batch.items.push(parsed.submission);
      batch.jsonBytes += jsonBytes;
      if (batch.items.length >= options.batchSize) {
        await dispatch(batch);
        batch = { lines: [], items: [], jsonBytes: 0 };
      }
    }
    if (batch.items.length > 0 && !fatal) await dispatch(batch);
    await Promise.all(inFlight);
  } finally {
    reader.close();
    input.destroy();
    const notPrinted = printed - MAX_PRINTED_REJECTIONS;
    if (notPrinted > 0)
      progress.note(
        `… and ${notPrinted} more rejected lines${options.errorsFile ? ` (all in ${options.errorsFile})` : ''}`,
      );
    progress.update(state);
    progress.stop();
    if (errors) {
      errors.end();
      await once(errors, 'close');
    }
  }
  const seconds = (Date.now() - started) / 1000;
  const settled = state.created + state.existing + state.invalid + state.failed;
  return {
    lines: state.lines,
    created: state.created,
    existing: state.existing,
    invalid: state.invalid,
    failed: state.failed,
    seconds,
    itemsPerSecond: seconds > 0 ? Math.round(settled / seconds) : settled,
    ...(fatal ? { fatal } : {}),
  };
}

/** The closing line: `1200 created, 0 existing, 3 invalid, 0 failed (1203 lines) in 2.1s, 573 items/s`. */
export function formatSubmitSummary(s: SubmitSummary): string {
  return `${s.created} created, ${s.existing} existing, ${s.invalid} invalid, ${s.failed} failed (${s.lines} lines) in ${s.seconds.toFixed(1)}s, ${s.itemsPerSecond} items/s`;
}

/** Opened before the first line is read, so a bad `--errors` path fails the run at once. */
async function openErrorsFile(path: string) {
  const stream = createWriteStream(path);
  try {
    await once(stream, 'open');
  } catch (e) {
    throw new AppError('BAD_INPUT', `Cannot write --errors ${path}`, { cause: e });
  }
  return stream;
}

function describe(error: LineError): string {
  const issues = error.issues?.map((i) => `${i.path}: ${i.message}`).join('; ');
  return issues ? `${error.message} (${issues})` : error.message;
}

import cliProgress from 'cli-progress';

export interface SubmitCounts {
  created: number;
  existing: number;
  invalid: number;
  failed: number;
}

export interface ProgressState extends SubmitCounts {
  /** Bytes of the file read and settled (answered, rejected or skipped). */
  doneBytes: number;
  /** Lines read so far. */
  lines: number;
}

/** Where `submit` reports as it goes; `note` is for one rejected line or a retry. */
export interface SubmitProgress {
  update(state: ProgressState): void;
  note(message: string): void;
  stop(): void;
}

const PLAIN_INTERVAL_MS = 1000;

/**
 * A progress bar over the file's bytes when `out` is a terminal; otherwise a plain line at most
 * once a second (logs and CI keep readable output).
 *
 * @example
 * const progress = createSubmitProgress(stat.size);
 * progress.update({ doneBytes: 4096, lines: 50, created: 49, existing: 0, invalid: 1, failed: 0 });
 * progress.stop();
 */
export function createSubmitProgress(
  totalBytes: number,
  out: NodeJS.WriteStream = process.stdout,
  err: NodeJS.WriteStream = process.stderr,
): SubmitProgress {
  const started = Date.now();
  const rate = (s: ProgressState) => {
    const seconds = (Date.now() - started) / 1000;
    return seconds > 0 ? Math.round((s.created + s.existing + s.invalid + s.failed) / seconds) : 0;
  };
  if (out.isTTY) {
    const bars = new cliProgress.MultiBar(
      {
        stream: out,
        format:
          '{bar} {percentage}% | {lines} lines | {created} created, {existing} existing, {invalid} invalid, {failed} failed | {rate}/s',
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    const zero = { lines: 0, created: 0, existing: 0, invalid: 0, failed: 0, rate: 0 };
    const total = Math.max(totalBytes, 1);
    const bar = bars.create(total, 0, zero);
    return {
      // The last line may lack its newline, which would count one byte past the file's size.
      update: (s) => bar.update(Math.min(s.doneBytes, total), { ...s, rate: rate(s) }),
      note: (m) => bars.log(`${m}\n`),
      stop: () => {
        bars.update(); // flushes notes logged since the last redraw
        bars.stop();
      },
    };
  }
  let last = 0;
  return {
    update: (s) => {
      const now = Date.now();
      if (now - last < PLAIN_INTERVAL_MS) return;
      last = now;
      const pct = totalBytes > 0 ? Math.min(100, Math.floor((s.doneBytes / totalBytes) * 100)) : 100;
      out.write(
        `[signoff] submit: ${pct}% | ${s.lines} lines | ${s.created} created, ${s.existing} existing, ${s.invalid} invalid, ${s.failed} failed | ${rate(s)}/s\n`,
      );
    },
    note: (m) => err.write(`${m}\n`),
    stop: () => undefined,
  };
}

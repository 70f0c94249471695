// What `signoff users` and `signoff keys` share.
import type { Actor } from '@signoff/governance';

/** Who changes users and keys from the command line: whoever can reach the database. */
export const CLI_ACTOR: Actor = { type: 'system', id: 'cli' };

/** Left-aligned columns two spaces apart; the first row is the header. */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** One JSON object per line, for scripts. */
export function jsonLines(rows: readonly object[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n');
}

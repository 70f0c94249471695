import type { Writable } from 'node:stream';
import type { DatasetFormat, DatasetSplit } from '@signoff/core';
import type { DB } from '@signoff/db';
import { stringify } from 'csv-stringify/sync';
import { type Kysely, sql, type Transaction } from 'kysely';
import { ParquetStream } from './parquet-stream';
import { SNAPSHOT_FIELDS, type SnapshotRow } from './snapshot-fields';
import { snapshotPages } from './snapshot-rows';
import { writeChunk } from './write-stream';

/** File extension and media type of each format. */
export const FORMAT_FILES: Record<DatasetFormat, { extension: string; contentType: string }> = {
  jsonl: { extension: 'jsonl', contentType: 'application/x-ndjson; charset=utf-8' },
  chat: { extension: 'chat.jsonl', contentType: 'application/x-ndjson; charset=utf-8' },
  csv: { extension: 'csv', contentType: 'text/csv; charset=utf-8' },
  parquet: { extension: 'parquet', contentType: 'application/vnd.apache.parquet' },
};

const CSV_COLUMNS = SNAPSHOT_FIELDS.map((f) => f.name);
const csvOptions = {
  columns: CSV_COLUMNS,
  cast: { boolean: (v: boolean) => (v ? 'true' : 'false') },
  eof: true,
  record_delimiter: '\n',
} as const;

/** The canonical JSONL line of a row: its keys in SNAPSHOT_FIELDS order (the row is built that way). */
export function jsonlLine(row: SnapshotRow): string {
  return JSON.stringify(row);
}

type Db = Kysely<DB> | Transaction<DB>;

/** The instructions of the agent of each (workflow version, state), read once per export. */
function instructionsLookup(db: Db) {
  const cache = new Map<string, string | null>();
  return async (workflowVersionId: string, state: string): Promise<string | null> => {
    const key = `${workflowVersionId}\n${state}`;
    const known = cache.get(key);
    if (known !== undefined) return known;
    const r = await sql<{ instructions: string | null }>`
      SELECT definition #>> ARRAY['states', ${state}, 'agent', 'instructions'] AS instructions
        FROM workflow_versions WHERE id = ${workflowVersionId}`.execute(db);
    const instructions = r.rows[0]?.instructions ?? null;
    cache.set(key, instructions);
    return instructions;
  };
}

/**
 * Writes a snapshot (all of it, or one split) to `out` in `format`, streaming: a page of rows at
 * a time, waiting whenever `out` is full. Everything written comes from the snapshot's frozen rows,
 * so the same snapshot in the same format gives the same bytes every time. Does not end `out`.
 * Returns how many records it wrote (chat leaves out labels without input text).
 *
 * @example
 * const file = createWriteStream('train.csv');
 * await writeSnapshot(db, snapshotId, { format: 'csv', split: 'train' }, file);
 * file.end();
 */
export async function writeSnapshot(
  db: Db,
  snapshotId: string,
  options: {
    format: DatasetFormat;
    split?: DatasetSplit | undefined;
    /** Rows read per query (and per Parquet row group); tests make it small to cross pages. */
    pageSize?: number;
  },
  out: Writable,
): Promise<{ records: number }> {
  let records = 0;
  const pages = snapshotPages(db, snapshotId, options.split, options.pageSize);
  switch (options.format) {
    case 'jsonl':
      for await (const { rows } of pages) {
        let chunk = '';
        for (const row of rows) chunk += `${jsonlLine(row)}\n`;
        if (chunk) await writeChunk(out, chunk);
        records += rows.length;
      }
      break;
    case 'csv': {
      let header = true;
      for await (const { rows } of pages) {
        await writeChunk(out, stringify(rows, { ...csvOptions, header }));
        header = false;
        records += rows.length;
      }
      if (header) await writeChunk(out, stringify([], { ...csvOptions, header: true }));
      break;
    }
    case 'chat': {
      const instructionsOf = instructionsLookup(db);
      for await (const { rows, workflowVersionIds } of pages) {
        let chunk = '';
        for (let i = 0; i < rows.length; i++) {
          const row = rows[i] as SnapshotRow;
          if (row.input_text === null) continue;
          const system = await instructionsOf(workflowVersionIds[i] as string, row.state);
          const messages = [
            ...(system ? [{ role: 'system', content: system }] : []),
            { role: 'user', content: row.input_text },
            { role: 'assistant', content: row.human_label },
          ];
          chunk += `${JSON.stringify({ messages })}\n`;
          records++;
        }
        if (chunk) await writeChunk(out, chunk);
      }
      break;
    }
    case 'parquet': {
      const parquet = new ParquetStream(out);
      for await (const { rows } of pages) {
        await parquet.write(rows);
        records += rows.length;
      }
      await parquet.finish();
      break;
    }
  }
  return { records };
}

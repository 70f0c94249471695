import type { Writable } from 'node:stream';
import type { DatasetFormat, DatasetSplit } from '@signoff/core';
import type { DB } from '@signoff/db';
import { maskPii } from '@signoff/governance';
import { stringify } from 'csv-stringify/sync';
import { type Kysely, sql, type Transaction } from 'kysely';
import { ParquetStream } from './parquet-stream';
import { SNAPSHOT_FIELDS, type SnapshotRow } from './snapshot-fields';
import { chatPage, jsonlPage, type LinePage, type PageRenderer } from './snapshot-lines';
import { lastOrdinal, prefetch, readRowsPage, SNAPSHOT_PAGE, snapshotPages } from './snapshot-rows';
import {
  type FlatField,
  flatColumnNames,
  flatFields,
  flatStructured,
  type StructuredState,
  structuredStates,
} from './snapshot-structured';
import { writeChunk } from './write-stream';

/** File extension and media type of each format. */
export const FORMAT_FILES: Record<DatasetFormat, { extension: string; contentType: string }> = {
  jsonl: { extension: 'jsonl', contentType: 'application/x-ndjson; charset=utf-8' },
  chat: { extension: 'chat.jsonl', contentType: 'application/x-ndjson; charset=utf-8' },
  csv: { extension: 'csv', contentType: 'text/csv; charset=utf-8' },
  parquet: { extension: 'parquet', contentType: 'application/vnd.apache.parquet' },
};

const CSV_COLUMNS = SNAPSHOT_FIELDS.map((f) => f.name);
const csvOptions = (flat: readonly FlatField[]) =>
  ({
    columns: [...CSV_COLUMNS, ...flatColumnNames(flat)],
    cast: { boolean: (v: boolean) => (v ? 'true' : 'false') },
    eof: true,
    record_delimiter: '\n',
  }) as const;

/** A CSV record: the row's columns in order, then its flat structured columns (records are arrays: column names have dots). */
function csvRecord(row: SnapshotRow, flat: readonly FlatField[]): unknown[] {
  const out: unknown[] = CSV_COLUMNS.map((c) => row[c]);
  if (flat.length > 0) out.push(...Object.values(flatStructured(row, flat)));
  return out;
}

/** The canonical JSONL line of a row: its keys in SNAPSHOT_FIELDS order (the row is built that way). */
export function jsonlLine(row: SnapshotRow): string {
  return JSON.stringify(row);
}

type Db = Kysely<DB> | Transaction<DB>;

/**
 * The leaf fields of a snapshot's structured states, the flat columns of its CSV and Parquet:
 * from its manifest (`structured`, recorded at creation), else read from its members.
 */
async function snapshotFlatFields(db: Db, snapshotId: string): Promise<FlatField[]> {
  const m = await sql<{ structured: StructuredState[] | null }>`
    SELECT manifest->'structured' AS structured FROM dataset_snapshots WHERE id = ${snapshotId}`.execute(db);
  const recorded = m.rows[0]?.structured;
  return flatFields(Array.isArray(recorded) ? recorded : await structuredStates(db, snapshotId));
}

/**
 * Exports are masked (issue 12): every field of a row goes through maskPii, but the reviewer's
 * sign-in e-mail (a staff account, not item data). Only an operator's `--include-pii` writes them as stored.
 */
const KEEP = ['reviewer_email'];

function maskRows<T>(rows: T[], includePii: boolean): T[] {
  return includePii ? rows : rows.map((row) => maskPii(row, { keep: KEEP }));
}

/** Masks every line of a page of JSON lines: parsed, masked and written back as JSON.stringify does. */
function maskLines(text: string): string {
  let out = '';
  for (const line of text.split('\n'))
    if (line) out += `${JSON.stringify(maskPii(JSON.parse(line), { keep: KEEP }))}\n`;
  return out;
}

/** Rendered pages asked for ahead of the one being written (each about 7 MB of JSONL at 10,000 rows). */
const PAGES_AHEAD = 2;

/**
 * Writes pages of lines rendered by PostgreSQL (one text per page), the next ones read while this
 * one is written; a page PostgreSQL could not render exactly goes to `fallback`.
 */
async function writeLinePages(
  db: Db,
  snapshotId: string,
  split: DatasetSplit | undefined,
  pageSize: number,
  render: PageRenderer,
  out: Writable,
  includePii: boolean,
  fallback?: (after: number) => Promise<{ text: string; records: number }>,
): Promise<number> {
  const total = await lastOrdinal(db, snapshotId);
  let records = 0;
  // Pages ahead are asked for while this one is written: with a pool, PostgreSQL renders them on
  // as many backends side by side (in a transaction they queue on its connection).
  const ahead: Promise<LinePage>[] = [];
  let asked = 0;
  const ask = () => {
    for (; ahead.length < PAGES_AHEAD && asked < total; asked += pageSize)
      ahead.push(prefetch(render(db, snapshotId, split, asked, pageSize)));
  };
  for (let after = 0; after < total; after += pageSize) {
    ask();
    let page = await (ahead.shift() as Promise<LinePage>);
    ask();
    if (page.unrendered > 0 && fallback) page = { ...(await fallback(after)), unrendered: 0 };
    if (page.text) await writeChunk(out, includePii ? page.text : maskLines(page.text));
    records += page.records;
  }
  return records;
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
    /**
     * Write PII as stored instead of masked (default false): for an operator's audited
     * `signoff dataset export --include-pii` only; the HTTP download never sets it.
     */
    includePii?: boolean;
  },
  out: Writable,
): Promise<{ records: number }> {
  let records = 0;
  const pageSize = options.pageSize ?? SNAPSHOT_PAGE;
  const includePii = options.includePii ?? false;
  switch (options.format) {
    case 'jsonl':
      records = await writeLinePages(
        db,
        snapshotId,
        options.split,
        pageSize,
        jsonlPage,
        out,
        includePii,
        async (after) => {
          // A page with a number PostgreSQL would not write as JSON.stringify does: rendered here.
          const { rows } = await readRowsPage(db, snapshotId, options.split, after, pageSize);
          let chunk = '';
          for (const row of rows) chunk += `${jsonlLine(row)}\n`;
          return { text: chunk, records: rows.length };
        },
      );
      break;
    case 'csv': {
      const flat = await snapshotFlatFields(db, snapshotId);
      const csv = csvOptions(flat);
      let header = true;
      for await (const { rows } of snapshotPages(db, snapshotId, options.split, pageSize)) {
        const csvLines = maskRows(rows, includePii).map((r) => csvRecord(r, flat));
        await writeChunk(out, stringify(csvLines, { ...csv, header }));
        header = false;
        records += rows.length;
      }
      if (header) await writeChunk(out, stringify([], { ...csv, header: true }));
      break;
    }
    case 'chat':
      records = await writeLinePages(db, snapshotId, options.split, pageSize, chatPage, out, includePii);
      break;
    case 'parquet': {
      const parquet = new ParquetStream(out, await snapshotFlatFields(db, snapshotId));
      for await (const { rows } of snapshotPages(db, snapshotId, options.split, pageSize)) {
        await parquet.write(maskRows(rows, includePii));
        records += rows.length;
      }
      await parquet.finish();
      break;
    }
  }
  return { records };
}

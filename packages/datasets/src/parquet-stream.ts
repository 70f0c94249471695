import type { Writable } from 'node:stream';
import { ByteWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';
import { type FieldType, SNAPSHOT_FIELDS, type SnapshotRow } from './snapshot-fields';
import { type FlatField, type FlatType, flatColumnNames, flatStructured } from './snapshot-structured';
import { writeChunk } from './write-stream';

const PARQUET_TYPE: Record<FieldType, 'STRING' | 'INT32' | 'DOUBLE' | 'BOOLEAN' | 'TIMESTAMP'> = {
  string: 'STRING',
  integer: 'INT32',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP',
};

/** Written into the file's footer instead of hyparquet-writer's default; no time or host, so exports repeat byte for byte. */
export const PARQUET_CREATED_BY = 'signoff dataset snapshot (hyparquet-writer 0.17)';

/**
 * A ByteWriter whose buffer is handed to `out` after every row group (with backpressure) and
 * reused: the file is never whole in memory.
 */
class StreamByteWriter extends ByteWriter {
  /** Bytes written so far by flushes; 0 until the first row group. */
  flushed = 0;
  constructor(private readonly out: Writable) {
    super(1 << 20);
  }
  flush(): Promise<void> {
    this.flushed += this.index;
    // Copied: the buffer is overwritten by the next row group while the stream may still hold the chunk.
    const chunk = new Uint8Array(this.buffer.slice(0, this.index));
    this.index = 0;
    return writeChunk(this.out, chunk);
  }
  override finish(): Promise<void> {
    if (this.flushed === 0) patchEmptyRowGroups(new Uint8Array(this.buffer, 0, this.index));
    return this.flush();
  }
}

/**
 * A file without rows has no row groups, and hyparquet-writer 0.17 writes that empty list with
 * element type BYTE where FileMetaData.row_groups is a list of structs; arrow-rs (parquet-wasm,
 * DataFusion, Polars) then refuses the file ("Expected list element type of Struct but got Byte").
 * The whole file is in the buffer then (no row group was flushed), so this sets the element type
 * of that list header to STRUCT: fields 3 (num_rows: i64 0, bytes 0x16 0x00) and 4 (row_groups:
 * list, 0x19), then the list header (size 0 and the element type it wrote, 0x00 -> STRUCT: 0x0c).
 */
function patchEmptyRowGroups(file: Uint8Array): void {
  for (let i = file.length - 4; i >= 4; i--)
    if (file[i] === 0x16 && file[i + 1] === 0x00 && file[i + 2] === 0x19 && file[i + 3] === 0x00) {
      file[i + 3] = 0x0c;
      return;
    }
}

const FLAT_PARQUET_TYPE: Record<FlatType, 'STRING' | 'DOUBLE' | 'BOOLEAN'> = {
  string: 'STRING',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  json: 'STRING',
};

function columnsOf(rows: SnapshotRow[], flat: readonly FlatField[]) {
  const columns = SNAPSHOT_FIELDS.map((f) => {
    const data: unknown[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const v = (rows[i] as SnapshotRow)[f.name];
      data[i] = f.type === 'timestamp' ? new Date(v as string) : v;
    }
    return { name: f.name as string, data, type: PARQUET_TYPE[f.type], nullable: f.nullable };
  });
  if (flat.length === 0) return columns;
  // The leaf fields of structured labels, one nullable column each (null in other rows).
  const values = rows.map((r) => flatStructured(r, flat));
  const types = [...flat.flatMap((f) => [f.type, f.type]), 'json' as const];
  for (const [k, name] of flatColumnNames(flat).entries())
    columns.push({
      name,
      data: values.map((v) => v[name]),
      type: FLAT_PARQUET_TYPE[types[k] as FlatType],
      nullable: true,
    });
  return columns;
}

/**
 * Parquet through a stream: one row group per page of rows, flushed to `out` as it is encoded.
 * SNAPPY-compressed, column statistics on; timestamps in milliseconds.
 *
 * @example
 * const parquet = new ParquetStream(out);
 * for await (const page of snapshotPages(db, id)) await parquet.write(page.rows);
 * await parquet.finish();
 */
export class ParquetStream {
  private readonly writer: ParquetWriter;

  /** `flat`: the leaf fields of the snapshot's structured states, as columns after the others. */
  constructor(
    out: Writable,
    private readonly flat: readonly FlatField[] = [],
  ) {
    const schema = schemaFromColumnData({
      // biome-ignore lint/suspicious/noExplicitAny: the column sources' data type is the library's union.
      columnData: columnsOf([], flat) as any,
    });
    this.writer = new ParquetWriter({ writer: new StreamByteWriter(out), schema, createdBy: PARQUET_CREATED_BY });
  }

  async write(rows: SnapshotRow[]): Promise<void> {
    if (rows.length === 0) return;
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    await this.writer.write({ columnData: columnsOf(rows, this.flat) as any, rowGroupSize: rows.length });
  }

  async finish(): Promise<void> {
    await this.writer.finish();
  }
}

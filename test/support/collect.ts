import { Writable } from 'node:stream';

/** A Writable that keeps what it is given, and the bytes so far. */
export function collector(): { sink: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      done();
    },
  });
  return { sink, bytes: () => Buffer.concat(chunks) };
}

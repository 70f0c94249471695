import type { Writable } from 'node:stream';

/**
 * Writes a chunk and, when the stream's buffer is full, waits until it drains (backpressure). A
 * stream that closes or fails meanwhile (a download whose client went away) rejects, so an export
 * stops reading instead of waiting for ever.
 *
 * @example
 * for (const line of lines) await writeChunk(out, `${line}\n`);
 */
export async function writeChunk(out: Writable, chunk: string | Uint8Array): Promise<void> {
  if (out.destroyed || out.writableEnded) throw new Error('The output stream is closed');
  if (out.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const done = (error?: Error) => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      out.off('error', onError);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new Error('The output stream closed before the export ended'));
    const onError = (e: Error) => done(e);
    out.on('drain', onDrain);
    out.on('close', onClose);
    out.on('error', onError);
  });
}

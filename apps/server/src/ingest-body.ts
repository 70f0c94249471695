export type BodyRead =
  | { ok: true; value: unknown; bytes: number }
  | { ok: false; reason: 'too_large'; limit: number }
  | { ok: false; reason: 'not_json'; message: string };

export type RawBodyRead = { ok: true; body: Buffer<ArrayBuffer> } | { ok: false; reason: 'too_large'; limit: number };

/**
 * Reads a request's body, giving up as soon as it passes `maxBytes`: `content-length` is checked
 * first, but a chunked body has none, so the stream itself is counted too. At most `maxBytes`
 * (plus one chunk) is ever held; the rest of an oversized body is never read.
 *
 * @example
 * const body = await readBoundedBody(c.req.raw, 1024 * 1024);
 * if (!body.ok) return c.json({ error: `over ${body.limit} bytes` }, 413);
 */
export async function readBoundedBody(req: Request, maxBytes: number): Promise<RawBodyRead> {
  const declared = Number(req.headers.get('content-length') ?? 0);
  if (declared > maxBytes) return { ok: false, reason: 'too_large', limit: maxBytes };
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  if (req.body) {
    const reader = req.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > maxBytes) {
        await reader.cancel().catch(() => undefined);
        return { ok: false, reason: 'too_large', limit: maxBytes };
      }
      chunks.push(value);
    }
  }
  // Buffer.concat allocates a fresh (never shared) ArrayBuffer.
  return { ok: true, body: Buffer.concat(chunks, bytes) as Buffer<ArrayBuffer> };
}

/**
 * Reads a request's JSON body within `maxBytes` (see `readBoundedBody`). `JSON.parse` is
 * iterative in V8, so deeply nested input parses; callers check depth before anything recursive.
 *
 * @example
 * const body = await readJsonBody(c.req.raw, 10 * 1024 * 1024);
 * if (!body.ok) return c.json({ error: body.reason }, 400);
 */
export async function readJsonBody(req: Request, maxBytes: number): Promise<BodyRead> {
  const read = await readBoundedBody(req, maxBytes);
  if (!read.ok) return read;
  try {
    return { ok: true, value: JSON.parse(read.body.toString('utf8')), bytes: read.body.byteLength };
  } catch (e) {
    return { ok: false, reason: 'not_json', message: e instanceof Error ? e.message : String(e) };
  }
}

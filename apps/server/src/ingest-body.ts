export type BodyRead =
  | { ok: true; value: unknown; bytes: number }
  | { ok: false; reason: 'too_large'; limit: number }
  | { ok: false; reason: 'not_json'; message: string };

/**
 * Reads a request's JSON body, giving up as soon as it passes `maxBytes`: `content-length` is
 * checked first, but a chunked body has none, so the stream itself is counted too.
 *
 * @example
 * const body = await readJsonBody(c.req.raw, 10 * 1024 * 1024);
 * if (!body.ok) return c.json({ error: body.reason }, 400);
 */
export async function readJsonBody(req: Request, maxBytes: number): Promise<BodyRead> {
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
  const text = Buffer.concat(chunks, bytes).toString('utf8');
  try {
    return { ok: true, value: JSON.parse(text), bytes };
  } catch (e) {
    return { ok: false, reason: 'not_json', message: e instanceof Error ? e.message : String(e) };
  }
}

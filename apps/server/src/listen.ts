import { serve } from '@hono/node-server';

export interface Listening {
  /** Base URL to reach it (127.0.0.1 when listening on every interface). */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves a fetch handler (a Hono app's `fetch`) over HTTP on @hono/node-server; port 0 picks a free one.
 *
 * @example
 * const { url, close } = await listenHttp(createHttpApp(deps).fetch, { port: 0, hostname: '127.0.0.1' });
 */
export async function listenHttp(
  fetch: Parameters<typeof serve>[0]['fetch'],
  options: { port: number; hostname: string },
): Promise<Listening> {
  const server = await new Promise<ReturnType<typeof serve>>((ok, fail) => {
    const s = serve({ fetch, port: options.port, hostname: options.hostname }, () => ok(s));
    s.once('error', fail);
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : options.port;
  return {
    url: `http://${options.hostname === '0.0.0.0' ? '127.0.0.1' : options.hostname}:${port}`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

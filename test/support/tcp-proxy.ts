import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Resets every open connection and every new one until `restore`: the target looks gone. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy on a free local port in front of `target`, to take a server out of reach (and bring it
 * back) at an exact moment.
 *
 * @example
 * const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
 * proxy.cut(); // connections through proxy.port now fail at once
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        open.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const port = await new Promise<number>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      ok(typeof addr === 'object' && addr ? addr.port : 0);
    });
  });
  const cut = () => {
    refusing = true;
    for (const s of open) s.resetAndDestroy();
  };
  return {
    port,
    cut,
    restore() {
      refusing = false;
    },
    close() {
      cut();
      return new Promise((ok) => server.close(() => ok()));
    },
  };
}

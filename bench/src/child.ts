// One peer in its own process: DBOS keeps global state, @signoff/db sets pg type parsers for the
// whole process, and a peer that hangs must be killable without taking the others down.
import type { PeerContext } from './measure';

const PEERS = {
  pgbench: async (ctx: PeerContext) => (await import('./peers/pgbench')).runPgbench(ctx),
  pgboss: async (ctx: PeerContext) => (await import('./peers/pgboss-chain')).runPgbossChain(ctx),
  dbos: async (ctx: PeerContext) => (await import('./peers/dbos')).runDbos(ctx),
  signoff: async (ctx: PeerContext) => (await import('./peers/signoff')).runSignoff(ctx),
  'signoff-http': async (ctx: PeerContext) => (await import('./peers/signoff-http')).runSignoffHttp(ctx),
} as const;

async function main() {
  const [peer, json] = process.argv.slice(2);
  const run = PEERS[peer as keyof typeof PEERS];
  if (!run || !json) throw new Error(`usage: child.ts <${Object.keys(PEERS).join('|')}> <context json>`);
  const result = await run(JSON.parse(json) as PeerContext);
  await new Promise<void>((resolve) => process.send?.({ ok: true, result }, () => resolve()));
}

if (process.send) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      process.send?.({ ok: false, error: message }, () => process.exit(1));
    },
  );
}

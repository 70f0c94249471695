// The HTTP client of the `signoff-http` peer, in a process of its own (as an outside client would
// be): builds every batch body first (not timed), waits for "go", then posts them with a fixed number in flight.
import { inFlight } from './measure';
import { benchWorkflow, itemText } from './peers/signoff-workflow';

export interface ClientPlan {
  url: string;
  apiKey: string;
  items: number;
  batchSize: number;
  inFlight: number;
}

/** The request bodies: `{items: [...]}` of `batchSize` benchmark tickets each, each with its idempotency key. */
function bodies(plan: ClientPlan): string[] {
  const out: string[] = [];
  for (let from = 0; from < plan.items; from += plan.batchSize) {
    const items = [];
    for (let i = from; i < Math.min(plan.items, from + plan.batchSize); i++)
      items.push({ workflow: benchWorkflow.name, input: { text: itemText(i) }, idempotencyKey: `bench-${i}` });
    out.push(JSON.stringify({ items }));
  }
  return out;
}

export interface ClientReport {
  firstRequestAt: number;
  lastResponseAt: number;
  requestMs: number[];
  created: number;
  refused: number;
}

async function post(plan: ClientPlan, body: string): Promise<{ created: number; refused: number }> {
  const res = await fetch(`${plan.url}/api/v1/items`, {
    method: 'POST',
    headers: { authorization: `Bearer ${plan.apiKey}`, 'content-type': 'application/json' },
    body,
  });
  if (res.status !== 200) throw new Error(`POST /api/v1/items answered ${res.status}: ${await res.text()}`);
  const json = (await res.json()) as {
    summary: { created: number; existing: number; invalid: number; errors: number };
  };
  return { created: json.summary.created, refused: json.summary.invalid + json.summary.errors };
}

async function run(plan: ClientPlan, prepared: string[]): Promise<ClientReport> {
  const requestMs: number[] = [];
  let created = 0;
  let refused = 0;
  const firstRequestAt = Date.now();
  await inFlight(prepared, plan.inFlight, async (body) => {
    const t = performance.now();
    const r = await post(plan, body);
    requestMs.push(performance.now() - t);
    created += r.created;
    refused += r.refused;
  });
  return { firstRequestAt, lastResponseAt: Date.now(), requestMs, created, refused };
}

if (process.send) {
  process.once('message', (plan: ClientPlan) => {
    const prepared = bodies(plan);
    process.send?.({ ready: true });
    process.once('message', () => {
      run(plan, prepared).then(
        (report) => process.send?.({ ok: true, report }, () => process.exit(0)),
        (e: unknown) => process.send?.({ ok: false, error: String(e) }, () => process.exit(1)),
      );
    });
  });
}

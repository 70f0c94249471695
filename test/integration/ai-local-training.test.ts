// Training the built-in model with promotion, against a real PostgreSQL: a learning curve on a fixed
// held-out set as human labels accumulate, refusal of a worse candidate (stored, audited, not
// promoted), --force, concurrent trainers, and the version new decisions record.

import { createHash } from 'node:crypto';
import {
  createLocalProvider,
  findActiveLocalModel,
  type LabelledExample,
  localModelIdentity,
  NaiveBayesClassifier,
  type TextClassifier,
  trainLocalModel,
  trainLocalModelCandidate,
} from '@signoff/ai';
import type { DB } from '@signoff/db';
import { verifyAuditStream } from '@signoff/governance';
import { generateLabelledSupportItems, SUPPORT_LABELS, supportSeedExamples, ticketText } from '@signoff/server/demo';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';

const LABELS: string[] = [...SUPPORT_LABELS];

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t?.drop());

const asExample = (i: { input: Parameters<typeof ticketText>[0]; label: string }): LabelledExample => ({
  text: ticketText(i.input),
  label: i.label,
});

/** Tickets reviewers label, in the order they come in (seed 42). */
const POOL = dedupe(generateLabelledSupportItems(420, 42).map(asExample)).slice(0, 400);
/** 150 tickets of another seed that no training set contains: the fixed yardstick. */
const FIXED_HELD_OUT = (() => {
  const seen = new Set([...POOL, ...supportSeedExamples].map((e) => e.text));
  return dedupe(generateLabelledSupportItems(200, 7).map(asExample))
    .filter((e) => !seen.has(e.text))
    .slice(0, 150);
})();

function dedupe(examples: LabelledExample[]): LabelledExample[] {
  const byText = new Map(examples.map((e) => [e.text, e]));
  return [...byText.values()];
}

function accuracy(classifier: TextClassifier, examples: readonly LabelledExample[]): number {
  return examples.filter((e) => classifier.predict(e.text, LABELS).label === e.label).length / examples.length;
}

async function seed(agent: string): Promise<void> {
  await t.db
    .insertInto('seed_examples')
    .values(supportSeedExamples.map((e) => ({ agent, text: e.text, label: e.label })))
    .execute();
}

/**
 * Human verdicts on `examples`, with the rows a label points to (reviewer, workflow version, item,
 * done review task, review), written as a reviewer would leave them: what the active model said,
 * the human's label, whether that was a correction.
 */
async function addHumanLabels(db: Kysely<DB>, agent: string, examples: readonly LabelledExample[]): Promise<void> {
  if (examples.length === 0) return;
  const n = createHash('sha256')
    .update(`${agent}:${examples[0]?.text}:${examples.length}:${Math.random()}`)
    .digest('hex')
    .slice(0, 10);
  const model = await findActiveLocalModel(db, agent);
  await db.transaction().execute(async (trx) => {
    const user = await trx
      .insertInto('users')
      .values({ email: `r${n}@example.test`, name: 'Reviewer', role: 'reviewer', password_hash: 'x' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const wf = await trx
      .insertInto('workflow_versions')
      .values({ name: `wf-${n}`, version: 1, hash: n, definition: JSON.stringify({}) })
      .returning('id')
      .executeTakeFirstOrThrow();
    const items = await trx
      .insertInto('items')
      .values(
        examples.map((e, i) => ({
          workflow_name: `wf-${n}`,
          workflow_version_id: wf.id,
          idempotency_key: String(i),
          input: JSON.stringify({ text: e.text }),
          status: 'succeeded' as const,
        })),
      )
      .returning(['id', 'idempotency_key'])
      .execute();
    const itemIds = new Map(items.map((r) => [Number(r.idempotency_key), r.id]));
    const tasks = await trx
      .insertInto('review_tasks')
      .values(
        examples.map((_, i) => ({
          item_id: itemIds.get(i) as string,
          state: 'classify',
          visit: 1,
          queue: 'triage',
          status: 'done' as const,
          labels: JSON.stringify(LABELS),
          instructions: 'Check the label',
        })),
      )
      .returning(['id', 'item_id'])
      .execute();
    const taskIds = new Map(tasks.map((r) => [r.item_id, r.id]));
    const aiLabels = examples.map((e) => model?.classifier.predict(e.text, LABELS).label ?? null);
    const reviews = await trx
      .insertInto('reviews')
      .values(
        examples.map((e, i) => ({
          task_id: taskIds.get(itemIds.get(i) as string) as string,
          reviewer_id: user.id,
          verdict: aiLabels[i] === e.label ? ('confirm' as const) : ('correct' as const),
          label: e.label,
        })),
      )
      .returning(['id', 'task_id'])
      .execute();
    const reviewIds = new Map(reviews.map((r) => [r.task_id, r.id]));
    await trx
      .insertInto('labels')
      .values(
        examples.map((e, i) => {
          const itemId = itemIds.get(i) as string;
          return {
            item_id: itemId,
            state: 'classify',
            review_id: reviewIds.get(taskIds.get(itemId) as string) as string,
            workflow_name: `wf-${n}`,
            workflow_version_id: wf.id,
            agent,
            model: model ? localModelIdentity(model.classifier.kind, model.version).model : null,
            model_version: model ? localModelIdentity(model.classifier.kind, model.version).modelVersion : null,
            input_text: e.text,
            ai_label: aiLabels[i] ?? null,
            human_label: e.label,
            is_correction: aiLabels[i] !== e.label,
            reviewer_id: user.id,
          };
        }),
      )
      .execute();
  });
}

async function versions(agent: string) {
  return t.db
    .selectFrom('local_models')
    .select(['version', 'active', 'metrics'])
    .where('agent', '=', agent)
    .orderBy('version')
    .execute();
}

async function trainedEvents(agent: string) {
  const rows = await t.db
    .selectFrom('audit_events')
    .select(['data', 'actor_type', 'actor_id'])
    .where('stream', '=', 'config')
    .where('action', '=', 'model.trained')
    .orderBy('seq')
    .execute();
  return rows.filter((r) => r.data.agent === agent);
}

/** A careless reviewer: a wrong label for every text, picked by the text's hash among the other four. */
function mislabel(e: LabelledExample): LabelledExample {
  const others = LABELS.filter((l) => l !== e.label);
  const pick = createHash('sha256').update(e.text).digest().readUInt32BE(0) % others.length;
  return { text: e.text, label: others[pick] as string };
}

describe('learning curve', () => {
  it('raises the active model’s accuracy on a fixed held-out set as human labels accumulate', async () => {
    const agent = 'support-classifier';
    await seed(agent);
    expect(FIXED_HELD_OUT).toHaveLength(150);
    expect(POOL).toHaveLength(400);

    const steps = [0, 50, 150, 400];
    const curve: { labels: number; candidate: number; promoted: boolean; active: number; fixed: number }[] = [];
    let added = 0;
    for (const step of steps) {
      await addHumanLabels(t.db, agent, POOL.slice(added, step));
      added = step;
      const { candidate } = await trainLocalModelCandidate(t.db, agent, LABELS);
      const active = await findActiveLocalModel(t.db, agent);
      if (!active) throw new Error('no active model');
      curve.push({
        labels: step,
        candidate: candidate.version,
        promoted: candidate.metrics.promoted,
        active: active.version,
        fixed: accuracy(active.classifier, FIXED_HELD_OUT),
      });
      console.info(
        `${String(step).padStart(3)} human labels: candidate v${candidate.version} ` +
          `holdout ${candidate.metrics.holdoutAccuracy?.toFixed(3)} (n=${candidate.metrics.holdoutSize}) vs ` +
          `${candidate.metrics.baselineAccuracy?.toFixed(3) ?? '-'} for v${candidate.metrics.baselineVersion ?? '-'}, ` +
          `McNemar b=${candidate.metrics.mcnemar?.b} c=${candidate.metrics.mcnemar?.c} p=${candidate.metrics.mcnemar?.pValue.toPrecision(3)}, ` +
          `promoted ${candidate.metrics.promoted}; active v${active.version} ` +
          `fixed held-out ${curve.at(-1)?.fixed.toFixed(3)}`,
      );
    }

    const fixed = curve.map((c) => c.fixed);
    // Trained on the seeds alone, softmax regression already beats naive Bayes trained on them.
    const naiveBayes = NaiveBayesClassifier.train(supportSeedExamples, LABELS);
    expect(fixed[0]).toBeGreaterThan(accuracy(naiveBayes, FIXED_HELD_OUT));
    // Promotion never lets a worse model in, and more labels make a clearly better one.
    for (let i = 1; i < fixed.length; i++) expect(fixed[i]).toBeGreaterThanOrEqual(fixed[i - 1] as number);
    expect(fixed.at(-1)).toBeGreaterThanOrEqual(0.99);
    // Each training stored a version. With 50 and 150 labels the candidates got a few more held-out
    // examples right than v1 (b = 3, c = 1 of 48: p = 0.31; b = 6, c = 1 of 67: p = 0.063), which an
    // exact McNemar test at 0.05 does not call better; with 400 (b = 15, c = 0 of 113) the candidate
    // is better beyond doubt and replaces v1.
    expect(curve.map((c) => [c.candidate, c.promoted, c.active])).toEqual([
      [1, true, 1],
      [2, false, 1],
      [3, false, 1],
      [4, true, 4],
    ]);
    const events = await trainedEvents(agent);
    expect(
      events.map((e) => {
        const test = e.data.mcnemar as { pValue: number; alpha: number } | null;
        return [e.data.version, e.data.promoted, e.data.baselineVersion, test && test.pValue <= test.alpha];
      }),
    ).toEqual([
      [1, true, null, null],
      [2, false, 1, false],
      [3, false, 1, false],
      [4, true, 1, true],
    ]);
    expect(events.at(-1)?.data.mcnemar).toMatchObject({ b: expect.any(Number), c: expect.any(Number), alpha: 0.05 });
    expect(await verifyAuditStream(t.db, 'config')).toMatchObject({ ok: true });
  });
});

describe('promotion', () => {
  it('stores a worse candidate without promoting it, audits why, and --force promotes it', async () => {
    const agent = 'support-misled';
    await seed(agent);
    await addHumanLabels(t.db, agent, POOL.slice(0, 100));
    const first = await trainLocalModelCandidate(t.db, agent, LABELS);
    expect(first.candidate).toMatchObject({ version: 1, active: true, metrics: { promoted: true } });

    const local = createLocalProvider({ refreshMs: 0 });
    const ask = () =>
      local.decide(t.db, {
        agent: { name: agent, instructions: 'Classify the ticket.' },
        labels: LABELS,
        text: FIXED_HELD_OUT[0]?.text as string,
      });
    expect((await ask()).modelVersion).toBe('lr-v1');

    await addHumanLabels(t.db, agent, POOL.slice(100, 400).map(mislabel));
    const worse = await trainLocalModelCandidate(t.db, agent, LABELS, { actor: { type: 'user', id: 'data-1' } });
    expect(worse.baseline).toMatchObject({ version: 1, active: true });
    expect(worse.candidate).toMatchObject({
      version: 2,
      active: false,
      metrics: { promoted: false, forced: false, baselineVersion: 1 },
    });
    const m = worse.candidate.metrics;
    console.info(`after 300 wrong labels: candidate v2 ${m.holdoutAccuracy?.toFixed(3)}, ${m.reason}`);
    expect(m.holdoutAccuracy).toBeLessThan(m.baselineAccuracy as number);
    expect(m.reason).toMatch(
      /^does not beat v1 on the same \d+ held-out examples at p <= 0\.05: \d+ right \(0\.\d{3}\) vs \d+ \(0\.\d{3}\); exact McNemar: \d+ right only by the candidate, \d+ only by v1, one-sided p = /,
    );
    expect(m.mcnemar?.b).toBeLessThan(m.mcnemar?.c as number);
    expect((await findActiveLocalModel(t.db, agent))?.version).toBe(1);
    expect((await ask()).modelVersion).toBe('lr-v1'); // new decisions are still made, and recorded, by v1

    const events = await trainedEvents(agent);
    expect(events.at(-1)).toMatchObject({
      actor_type: 'user',
      actor_id: 'data-1',
      data: { version: 2, promoted: false, activeVersion: 1, baselineVersion: 1, reason: m.reason, mcnemar: m.mcnemar },
    });

    const forced = await trainLocalModelCandidate(t.db, agent, LABELS, { force: true });
    expect(forced.candidate).toMatchObject({ version: 3, active: true, metrics: { promoted: true, forced: true } });
    expect(forced.candidate.metrics.reason).toMatch(/^forced \(force\): does not beat v1 /);
    expect((await ask()).modelVersion).toBe('lr-v3');
    expect((await versions(agent)).map((v) => [v.version, v.active])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    expect((await trainedEvents(agent)).at(-1)?.data).toMatchObject({ version: 3, promoted: true, forced: true });
  });

  it('compares concurrent trainers one after another: one promotion, the rest measured against it', async () => {
    const agent = 'support-race';
    await seed(agent);
    await trainLocalModelCandidate(t.db, agent, LABELS);
    await addHumanLabels(t.db, agent, POOL.slice(0, 400));
    const results = await Promise.all(Array.from({ length: 4 }, () => trainLocalModelCandidate(t.db, agent, LABELS)));
    const byVersion = results.map((r) => r.candidate).sort((a, b) => a.version - b.version);
    // Same examples: the first to take the lock beats v1, the others are the same model as it (p = 1).
    expect(byVersion.slice(1).map((c) => c.metrics.mcnemar)).toEqual(
      Array(3).fill({ b: 0, c: 0, pValue: 1, alpha: 0.05 }),
    );
    expect(byVersion.map((c) => [c.version, c.metrics.promoted, c.metrics.baselineVersion])).toEqual([
      [2, true, 1],
      [3, false, 2],
      [4, false, 2],
      [5, false, 2],
    ]);
    expect((await versions(agent)).filter((v) => v.active).map((v) => v.version)).toEqual([2]);
  });

  it('records that trainLocalModel (first use, new labels) activates without winning', async () => {
    const agent = 'support-always';
    await seed(agent);
    await trainLocalModel(t.db, agent, LABELS);
    const again = await trainLocalModel(t.db, agent, LABELS);
    expect(again).toMatchObject({ version: 2, active: true, metrics: { promoted: true, forced: true } });
    expect(again.metrics.reason).toMatch(
      /^forced \(trainLocalModel activates every version it trains\): does not beat v1/,
    );
  });

  it('says so when the active version predates holdout-free parameters', async () => {
    const agent = 'support-legacy';
    await seed(agent);
    await trainLocalModelCandidate(t.db, agent, LABELS);
    await sql`UPDATE local_models SET eval_params = NULL WHERE agent = ${agent}`.execute(t.db);
    const { candidate } = await trainLocalModelCandidate(t.db, agent, LABELS);
    expect(candidate.metrics.reason).toMatch(
      /v1 has no holdout-free model stored and was evaluated with its full model/,
    );
  });

  it('refuses a second active version of an agent', async () => {
    const agent = 'support-legacy';
    await expect(sql`UPDATE local_models SET active = true WHERE agent = ${agent}`.execute(t.db)).rejects.toThrow(
      /local_models_active_idx/,
    );
  });
});

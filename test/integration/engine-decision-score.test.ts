// The score a decision is stored with: the provider's log-odds, unrounded; an infinite one (no
// other label was possible) as the cap 1e6, which still ranks above every finite score and which
// JSON, unlike Infinity, can carry to the database.
import type { DecideResult, DecisionProvider } from '@signoff/ai';
import { defineWorkflow } from '@signoff/core';
import { executeStep } from '@signoff/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';

const flow = defineWorkflow({
  name: 'scored',
  input: z.object({ text: z.string() }),
  start: 'classify',
  states: {
    classify: {
      kind: 'decide',
      agent: { name: 'scorer', instructions: 'Refund or not?' },
      labels: ['refund', 'other'],
      text: (ctx) => ctx.input.text,
      policy: { autoAcceptAt: 0.5, queue: 'refunds' },
      next: 'done',
    },
    done: { kind: 'final', status: 'succeeded' },
  },
});

/** A model outside us, answering with the score and confidence the text names. */
const provider: DecisionProvider = {
  name: 'local',
  async decide(_db, req) {
    const [score, confidence] = req.text.split(' ').map(Number) as [number, number];
    const result: DecideResult = {
      label: 'refund',
      confidence,
      score,
      confidenceMethod: 'posterior',
      provider: 'local',
      model: 'stub',
      modelVersion: 'stub-v1',
      promptVersion: 'p1',
      inputHash: 'h',
      latencyMs: 0,
    };
    return result;
  },
};

let t: TestDatabase;
let e: TestEngine;
beforeAll(async () => {
  t = await createTestDatabase();
  e = await startTestEngine(t, [flow], { workers: false });
});
afterAll(async () => {
  await e.stop();
  await t.drop();
});

async function storedScore(text: string): Promise<number | null> {
  const id = await e.submit('scored', { text });
  await executeStep(
    { db: t.db, boss: e.boss, registry: e.registry, provider },
    { itemId: id, state: 'classify', visit: 1 },
  );
  const d = await t.db.selectFrom('decisions').select('score').where('item_id', '=', id).executeTakeFirstOrThrow();
  return d.score;
}

describe('the score a decision records', () => {
  it("is the provider's log-odds, not the logit of its rounded confidence", async () => {
    // A confidence of 1 would give about 27.6; the model's own score says 41.25.
    expect(await storedScore('41.25 1')).toBe(41.25);
    expect(await storedScore('-2.5 0.0758')).toBe(-2.5);
  });

  it('is capped at 1e6 when no other label was possible (+Infinity), above every finite score', async () => {
    expect(await storedScore('Infinity 1')).toBe(1e6);
  });
});

// Log-probability confidence through the real `openai` SDK and the fake endpoint, with the label's
// tokens scripted: labels that share their first tokens, and an alternative that stops at the
// opening quote. Expected shares are worked out by hand in each test.
import { createOpenAIProvider } from '@signoff/ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeAnswer, type FakeOpenAI, startFakeOpenAI } from '../fixtures/fake-openai';
import { createTestDatabase, type TestDatabase } from '../support/database';

const AGENT = { name: 'refund-triage', instructions: 'Is this a full refund, a partial one, or other?' };
const LABELS = ['refund', 'refund_partial', 'other'];

let t: TestDatabase;
let fake: FakeOpenAI;
let answer: FakeAnswer = { label: 'refund' };
beforeAll(async () => {
  t = await createTestDatabase();
  fake = await startFakeOpenAI({ classify: () => answer });
});
afterAll(async () => {
  await fake?.close();
  await t?.drop();
});

const decide = () =>
  createOpenAIProvider({ apiKey: 'sk-test', baseURL: fake.url, maxRetries: 0 }).decide(t.db, {
    agent: AGENT,
    labels: LABELS,
    text: 'Please give me my money back',
  });

describe('logprob confidence', () => {
  it('counts the whole probability of labels that share their first tokens', async () => {
    // ref 0.9 (oth 0.1), und 1, then the closing quote 0.5 against _partial 0.5:
    // refund 0.9 x 1 x 0.5 = 0.45, refund_partial 0.45, other 0.1. Share of refund: 0.45.
    answer = {
      label: 'refund',
      labelTokens: [
        { token: 'ref', probability: 0.9, alternatives: [['oth', 0.1]] },
        { token: 'und', probability: 1 },
        { token: '"', probability: 0.5, alternatives: [['_partial', 0.5]] },
      ],
    };
    const r = await decide();
    expect(r).toMatchObject({ label: 'refund', confidenceMethod: 'logprobs' });
    expect(r.confidence).toBeCloseTo(0.45, 6);
    expect(r.score).toBeCloseTo(Math.log(0.45 / 0.55), 6);
  });

  it('counts the shorter label ending early against the longer one', async () => {
    // ref 0.9 (oth 0.1), und 1, _partial 0.6 against the closing quote 0.4 (refund), its own quote 1:
    // refund_partial 0.54, refund 0.36, other 0.1.
    answer = {
      label: 'refund_partial',
      labelTokens: [
        { token: 'ref', probability: 0.9, alternatives: [['oth', 0.1]] },
        { token: 'und', probability: 1 },
        { token: '_partial', probability: 0.6, alternatives: [['"', 0.4]] },
        { token: '"', probability: 1 },
      ],
    };
    const r = await decide();
    expect(r).toMatchObject({ label: 'refund_partial', confidenceMethod: 'logprobs' });
    expect(r.confidence).toBeCloseTo(0.54, 6);
    expect(r.score).toBeCloseTo(Math.log(0.54 / 0.46), 6);
  });

  it('counts a bare opening quote, which may start any label, against the chosen one', async () => {
    // "ref 0.6, against " 0.2 (any label may follow) and "oth 0.1; "zz 0.1 starts no label and is
    // ignored; und" 1: share 0.6 / 0.9.
    answer = {
      label: 'refund',
      labelTokens: [
        {
          token: '"ref',
          probability: 0.6,
          alternatives: [
            ['"', 0.2],
            ['"oth', 0.1],
            ['"zz', 0.1],
          ],
        },
        { token: 'und"', probability: 1 },
      ],
    };
    const r = await decide();
    expect(r.confidence).toBeCloseTo(2 / 3, 6);
    expect(r.score).toBeCloseTo(Math.log(0.6 / 0.3), 6);
  });
});

// Defect h: a seed example longer than about 8 KB could not be stored ("index row requires 49520
// bytes, maximum size is 8191"): UNIQUE (agent, text) kept the whole text in its index entry.
// Examples are now unique per agent by the SHA-256 of their text (migration 0010).
import { createHash } from 'node:crypto';
import { addSeedExamples, createLocalProvider, findActiveLocalModel } from '@signoff/ai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';

const agent = 'dispute-classifier';

/**
 * A 50 KB dispute, the kind a customer pastes a bank statement into: 420 statement lines with
 * transaction references that do not repeat (so the text does not compress below the old limit),
 * each with the word "zebracharge" once, and "endofstatement" once at the very end.
 */
const LINES = 420;
const longDispute = [
  'I dispute every one of these charges, I never made them. My statement:',
  ...Array.from({ length: LINES }, (_, i) => {
    const ref = createHash('sha256').update(`txn ${i}`).digest('hex');
    return `2025-03-${String((i % 28) + 1).padStart(2, '0')} zebracharge ref ${ref} EUR ${i}.99 card ending 4242`;
  }),
  'Please reverse all of it. endofstatement',
].join('\n');

const shortExamples = [
  { text: 'I want my money back for the order', label: 'refund' },
  { text: 'please refund the duplicate payment', label: 'refund' },
  { text: 'how do I change my password', label: 'other' },
  { text: 'where can I download the invoice', label: 'other' },
];

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t?.drop());

it('the example is over 50 KB', () => {
  expect(Buffer.byteLength(longDispute, 'utf8')).toBeGreaterThanOrEqual(50_000);
});

it('a 50 KB example is stored once; inserting it again does nothing', async () => {
  expect(await addSeedExamples(t.db, agent, [...shortExamples, { text: longDispute, label: 'chargeback' }])).toBe(5);
  // Again, and with another label: the first one stays.
  expect(await addSeedExamples(t.db, agent, [{ text: longDispute, label: 'chargeback' }])).toBe(0);
  expect(await addSeedExamples(t.db, agent, [{ text: longDispute, label: 'other' }])).toBe(0);
  expect(await addSeedExamples(t.db, agent, shortExamples)).toBe(0);

  const rows = await t.db
    .selectFrom('seed_examples')
    .select(['text', 'text_hash', 'label'])
    .where('agent', '=', agent)
    .where('label', '=', 'chargeback')
    .execute();
  expect(rows).toEqual([
    {
      text: longDispute,
      text_hash: createHash('sha256').update(longDispute, 'utf8').digest('hex'),
      label: 'chargeback',
    },
  ]);
  const all = await t.db.selectFrom('seed_examples').select('id').where('agent', '=', agent).execute();
  expect(all.length).toBe(5);
});

it('another agent may have the same text', async () => {
  expect(await addSeedExamples(t.db, 'another-agent', [{ text: longDispute, label: 'fraud' }])).toBe(1);
});

it('the local model trains on it', async () => {
  const provider = createLocalProvider();
  const r = await provider.decide(t.db, {
    agent: { name: agent, instructions: 'Classify the customer message.' },
    labels: ['refund', 'other', 'chargeback'],
    text: longDispute.split('\n').slice(0, 3).join('\n'),
  });
  expect(r).toMatchObject({ label: 'chargeback', modelVersion: 'lr-v1' });
  const model = await findActiveLocalModel(t.db, agent);
  expect(model?.exampleCount).toBe(5);
  // The whole text was learnt: word pairs that only its statement lines and its very last words
  // have speak for its label.
  expect(model?.classifier.evidence('zebracharge ref', 'chargeback', 10)).toContain('zebracharge ref');
  expect(model?.classifier.evidence('it endofstatement', 'chargeback', 10)).toContain('it endofstatement');
});

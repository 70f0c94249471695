import { type ChoiceState, reviewersRequired, routeDecision, validateWorkflow, type WorkflowSpec } from '@signoff/core';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { DEMO_USERS } from '../seed';
import { type ClauseProgress, nextClause, RISKY_CLAUSES, vendorClauseSeedExamples } from './vendor-clauses';
import { generateVendorSubmissions } from './vendor-documents';
import {
  type VendorContext,
  type VendorRecord,
  vendorIdFor,
  vendorOnboarding,
  vendorRecord,
} from './vendor-onboarding';
import { checkTaxIdWithRegistry, registryOutages, validateTaxId } from './vendor-tax-id';

const RECORD: VendorRecord = {
  legalName: 'Brightline Logistics LLC',
  taxId: '12-3456789',
  formType: 'W-9',
  entityType: 'llc',
  address: { street: '1200 Harbor Blvd', city: 'Oakland', postalCode: '94607', country: 'US' },
  annualSpend: 4800,
  paymentTerms: 'net_30',
  bankCountry: 'US',
  contactEmail: 'ap@brightline.example',
  clauses: ['Net 30.'],
};

function extractState() {
  const s = vendorOnboarding.states.extract;
  if (s?.kind !== 'decide') throw new Error('extract is not a decide state');
  return s;
}

const fields = (taxId: number) => ({
  taxId: { confidence: taxId, score: 0 },
  legalName: { confidence: 0.99, score: 0 },
});
const route = (value: VendorRecord, taxId = 0.99, confidence = 0.9) =>
  routeDecision(extractState().policy, { input: {} } as VendorContext, {
    label: JSON.stringify(value),
    confidence,
    value,
    fields: fields(taxId),
  });

describe('vendorOnboarding workflow', () => {
  it('is structurally valid, with the extractor, the registry check, the clause agent and legal', () => {
    expect(validateWorkflow(vendorOnboarding as unknown as WorkflowSpec<z.ZodType>)).toEqual([]);
    expect(vendorOnboarding.name).toBe('vendor-onboarding');
    const s = vendorOnboarding.states;
    expect(s.extract?.kind).toBe('decide');
    expect(s.verifyTaxId?.kind).toBe('task');
    expect(s.clauseRisk?.kind).toBe('decide');
    expect(s.legalReview).toMatchObject({ kind: 'review', queue: 'legal' });
    expect(extractState().policy.fields).toEqual({ taxId: { autoAcceptAt: 0.95 } });
  });

  it('sends a tax id below 0.95 to review naming the field, and accepts one at 0.95', () => {
    const low = route(RECORD, 0.94);
    expect(low.route).toBe('review');
    expect(low.reasons).toEqual([expect.objectContaining({ code: 'low_field_confidence', fields: ['taxId'] })]);
    expect(route(RECORD, 0.95)).toMatchObject({ route: 'auto', reasons: [] });
  });

  it('needs two reviewers for annual spend over 10,000 USD, and one at 10,000', () => {
    const big = route({ ...RECORD, annualSpend: 10_001 });
    expect(big.route).toBe('review');
    expect(big.reasons).toEqual([
      expect.objectContaining({ code: 'risk_rule', rule: 'large-spend', fields: ['annualSpend'] }),
    ]);
    expect(reviewersRequired(extractState().policy, big.reasons)).toBe(2);
    expect(route({ ...RECORD, annualSpend: 10_000 })).toMatchObject({ route: 'auto' });
  });

  it('checks a W-9 from abroad and a W-8 from a US address', () => {
    const foreign = route({ ...RECORD, address: { ...RECORD.address, country: 'DE' } });
    expect(foreign.reasons.map((r) => r.rule)).toEqual(['form-country-mismatch']);
    expect(route({ ...RECORD, formType: 'W-8BEN-E' }).reasons.map((r) => r.rule)).toEqual(['form-country-mismatch']);
    expect(route({ ...RECORD, formType: 'W-8BEN-E', address: { ...RECORD.address, country: 'GB' } }).route).toBe(
      'auto',
    );
  });

  it('sends only a risky clause to legal', () => {
    const choose = (label: string) => {
      const state = vendorOnboarding.states.clauseRoute as ChoiceState<VendorContext>;
      const ctx = { input: {}, clauseRisk: { label, confidence: 0.9, decidedBy: 'ai' } } as unknown as VendorContext;
      return state.branches.find((b) => b.when(ctx))?.next ?? state.otherwise;
    };
    expect(choose('risky')).toBe('legalReview');
    expect(choose('standard')).toBe('nextClause');
  });

  it('creates the vendor from the corrected record, keeping struck clauses out', () => {
    const corrected = { ...RECORD, clauses: ['Net 30.', 'Unlimited liability.'] };
    const ctx = {
      input: { submissionId: 'VOB-1' },
      extract: { label: '{}', confidence: 0.5, decidedBy: 'human', value: corrected, changedFields: ['taxId'] },
      verifyTaxId: { registry: 'IRS TIN matching', valid: true },
      nextClause: {
        index: 2,
        done: true,
        outcomes: [
          { clause: 'Net 30.', risk: 'standard' },
          { clause: 'Unlimited liability.', risk: 'risky', legal: 'strike' },
        ],
      },
    } as unknown as VendorContext;
    const create = vendorOnboarding.states.createVendor;
    const created = create?.kind === 'task' ? create.run(ctx, {} as never) : undefined;
    expect(created).toEqual({
      vendorId: vendorIdFor(corrected),
      clauses: ['Net 30.'],
      struckClauses: ['Unlimited liability.'],
    });
    const final = vendorOnboarding.states.created;
    const out = final?.kind === 'final' ? final.output?.({ ...ctx, createVendor: created }) : undefined;
    expect(out).toMatchObject({
      record: { ...corrected, clauses: ['Net 30.'] },
      correctedFields: ['taxId'],
      recordBy: 'human',
      taxIdCheck: 'verified_by_irs_tin_matching',
    });
    // The same vendor gets the same number; another tax id, another.
    expect(vendorIdFor(corrected)).toBe(vendorIdFor({ ...RECORD, legalName: 'BRIGHTLINE LOGISTICS LLC' }));
    expect(vendorIdFor({ ...RECORD, taxId: '12-3456780' })).not.toBe(vendorIdFor(RECORD));
  });

  it('has demo reviewers for both the vendors and the legal queue, two of them for the four-eyes records', () => {
    expect(DEMO_USERS.filter((u) => u.role === 'reviewer' && u.queues?.includes('vendors'))).toHaveLength(2);
    expect(DEMO_USERS.some((u) => u.queues?.includes('legal'))).toBe(true);
  });
});

describe('the clause loop', () => {
  it('walks the clauses one by one, recording each one’s risk and legal’s answer on the risky one', () => {
    const clauses = ['Net 30.', 'Unlimited liability.', 'Delaware law.'];
    const first = nextClause(clauses, undefined, {});
    expect(first).toEqual({ index: 0, clause: 'Net 30.', done: false, outcomes: [] });
    const second = nextClause(clauses, first, { risk: { label: 'standard' } });
    expect(second).toEqual({
      index: 1,
      clause: 'Unlimited liability.',
      done: false,
      outcomes: [{ clause: 'Net 30.', risk: 'standard' }],
    });
    const third = nextClause(clauses, second, {
      risk: { label: 'risky' },
      legal: { label: 'strike', rationale: 'uncapped' },
    });
    expect(third.outcomes[1]).toEqual({
      clause: 'Unlimited liability.',
      risk: 'risky',
      legal: 'strike',
      legalNote: 'uncapped',
    });
    // A standard clause after a reviewed risky one does not inherit legal's old answer.
    const done = nextClause(clauses, third, { risk: { label: 'standard' }, legal: { label: 'strike' } });
    expect(done).toMatchObject({ index: 3, done: true });
    expect(done.outcomes[2]).toEqual({ clause: 'Delaware law.', risk: 'standard' });
    expect(done.clause).toBeUndefined();
  });

  it('is done at once for a record without clauses', () => {
    expect(nextClause([], undefined, {})).toEqual({ index: 0, done: true, outcomes: [] } satisfies ClauseProgress);
  });

  it('rejects the vendor when legal rejects a clause', () => {
    const state = vendorOnboarding.states.legalOutcome as ChoiceState<VendorContext>;
    const at = (legal?: string) =>
      ({
        input: {},
        nextClause: { index: 1, done: true, outcomes: [{ clause: 'x', risk: 'risky', ...(legal ? { legal } : {}) }] },
      }) as unknown as VendorContext;
    const pick = (ctx: VendorContext) => state.branches.find((b) => b.when(ctx))?.next ?? state.otherwise;
    expect(pick(at('reject_vendor'))).toBe('notCreated');
    expect(pick(at('accept'))).toBe('createVendor');
    expect(pick(at())).toBe('createVendor');
  });

  it('gives the clause classifier twelve examples of each label', () => {
    expect(vendorClauseSeedExamples.filter((e) => e.label === 'risky')).toHaveLength(12);
    expect(vendorClauseSeedExamples.filter((e) => e.label === 'standard')).toHaveLength(12);
  });

  it('never lets the clause agent wave a clause on a policy topic through as standard', () => {
    const s = vendorOnboarding.states.clauseRisk;
    if (s?.kind !== 'decide') throw new Error('clauseRisk is not a decide state');
    const at = (clause: string) =>
      ({ input: {}, nextClause: { index: 0, clause, done: false, outcomes: [] } }) as unknown as VendorContext;
    const routed = (clause: string, label: string) =>
      routeDecision(s.policy, at(clause), { label, confidence: 0.99 }).route;
    // Every risky clause the demo's vendors propose, called standard, goes to a person.
    for (const clause of RISKY_CLAUSES) expect(routed(clause, 'standard')).toBe('review');
    expect(routed(RISKY_CLAUSES[0] as string, 'risky')).toBe('auto');
    // A plainly standard clause, called standard with confidence, does not.
    expect(routed('Invoices are payable within the agreed payment terms.', 'standard')).toBe('auto');
  });
});

describe('the tax id registry', () => {
  it('knows EINs, SSNs and UK and German VAT numbers by their own rules', () => {
    expect(validateTaxId('12-3456789')).toEqual({ kind: 'ein', valid: true });
    expect(validateTaxId('07-1234567')).toMatchObject({ kind: 'ein', valid: false });
    expect(validateTaxId('123-45-6789')).toEqual({ kind: 'ssn', valid: true });
    expect(validateTaxId('666-12-3456')).toMatchObject({ kind: 'ssn', valid: false });
    expect(validateTaxId('912-12-3456')).toMatchObject({ kind: 'ssn', valid: false });
    expect(validateTaxId('123-00-4567')).toMatchObject({ kind: 'ssn', valid: false });
    // HMRC's published example and a number VIES confirms, worked by hand.
    expect(validateTaxId('GB980780684')).toEqual({ kind: 'vat-gb', valid: true });
    expect(validateTaxId('GB980780685')).toMatchObject({ kind: 'vat-gb', valid: false });
    expect(validateTaxId('DE136695976')).toEqual({ kind: 'vat-de', valid: true });
    expect(validateTaxId('DE136695975')).toMatchObject({ kind: 'vat-de', valid: false });
    expect(validateTaxId('FR12345678901')).toMatchObject({ kind: 'unknown', valid: false });
  });

  it('fails the first tries of some ids (an outage), then answers', () => {
    const ids = generateVendorSubmissions(60).map((s) => s.truth.taxId);
    const flaky = ids.filter((id) => registryOutages(id) > 0);
    expect(flaky.length).toBeGreaterThan(0);
    expect(flaky.length).toBeLessThan(ids.length / 2);
    for (const id of flaky) {
      const outages = registryOutages(id);
      for (let attempt = 1; attempt <= outages; attempt++)
        expect(() => checkTaxIdWithRegistry(id, attempt)).toThrow(/did not answer in time/);
      expect(checkTaxIdWithRegistry(id, outages + 1)).toMatchObject({ taxId: id, attempt: outages + 1 });
    }
    // The workflow's retry budget outlasts the longest outage.
    const verify = vendorOnboarding.states.verifyTaxId;
    expect(verify?.kind === 'task' ? verify.retry?.maxAttempts : 0).toBeGreaterThan(
      Math.max(...ids.map(registryOutages)),
    );
  });
});

describe('the demo vendor submissions', () => {
  const subs = generateVendorSubmissions(60);

  it('are the same for the same seed and valid records', () => {
    expect(generateVendorSubmissions(60)).toEqual(subs);
    expect(generateVendorSubmissions(5, 7)).not.toEqual(subs.slice(0, 5));
    for (const s of subs) expect(vendorRecord.parse(s.truth)).toEqual(s.truth);
    expect(new Set(subs.map((s) => s.idempotencyKey)).size).toBe(60);
  });

  it('are varied: every format, foreign vendors, large spend, risky clauses and bad tax ids', () => {
    const count = (p: (s: (typeof subs)[number]) => boolean) => subs.filter(p).length;
    for (const f of ['portal', 'tax-form', 'email', 'scan']) expect(count((s) => s.format === f)).toBeGreaterThan(3);
    expect(count((s) => s.truth.address.country !== 'US')).toBeGreaterThan(5);
    expect(count((s) => s.truth.annualSpend > 10_000)).toBeGreaterThan(5);
    expect(count((s) => s.truth.annualSpend <= 10_000)).toBeGreaterThan(5);
    expect(count((s) => s.riskyClauses.length > 0)).toBeGreaterThan(5);
    expect(count((s) => !validateTaxId(s.truth.taxId).valid)).toBeGreaterThan(0);
    expect(count((s) => !validateTaxId(s.truth.taxId).valid)).toBeLessThan(10);
    for (const s of subs) expect(s.riskyClauses.every((c) => RISKY_CLAUSES.includes(c))).toBe(true);
  });

  it('state what the record says: the tax id, the e-mail and each clause are in the document', () => {
    for (const s of subs) {
      expect(s.input.document).toContain(s.truth.taxId);
      expect(s.input.document).toContain(s.truth.contactEmail);
      for (const c of s.truth.clauses) expect(s.input.document).toContain(c);
    }
  });
});

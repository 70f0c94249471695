import { type DecisionOutput, defineWorkflow, type WorkflowContext } from '@signoff/core';
import { z } from 'zod';
import { fnv1a } from './support-crm';
import {
  CLAUSE_LABELS,
  type ClauseOutcome,
  type ClauseProgress,
  CONTRACT_POLICY,
  LEGAL_LABELS,
  nextClause,
  POLICY_TOPIC,
} from './vendor-clauses';
import { checkTaxIdWithRegistry, TAX_ID_PATTERN, type TaxIdCheck } from './vendor-tax-id';

/** Expected annual spend (USD) above which two people check the record independently. */
export const VENDOR_FOUR_EYES_USD = 10_000;
/** A tax id the extractor is less sure of than this goes to a person, however sure the rest is. */
export const TAX_ID_AUTO_ACCEPT = 0.95;
/** Clauses a record may list: the clause loop visits each once. */
export const MAX_CLAUSES = 8;

export const TAX_FORMS = ['W-9', 'W-8BEN', 'W-8BEN-E'] as const;
export const ENTITY_TYPES = [
  'individual',
  'llc',
  'c_corporation',
  's_corporation',
  'partnership',
  'foreign_company',
] as const;
export const PAYMENT_TERMS = ['due_on_receipt', 'net_15', 'net_30', 'net_45', 'net_60'] as const;
export const SUBMISSION_SOURCES = ['supplier_portal', 'email', 'scan'] as const;

/**
 * The vendor master record the extractor reads from a submission: the tax form's fields, the
 * commercial terms and the contract's clauses. Descriptions are what the extractor (and a model)
 * matches labels in the document against.
 */
export const vendorRecord = z.object({
  legalName: z.string().min(1).max(200).describe('Legal name of the vendor as on the tax form (name of organization)'),
  taxId: z
    .string()
    .regex(TAX_ID_PATTERN)
    .describe('Taxpayer identification number: EIN, SSN or foreign VAT number (TIN)'),
  formType: z.enum(TAX_FORMS).describe('Tax form the vendor sent: W-9 from US persons, W-8BEN or W-8BEN-E from abroad'),
  entityType: z.enum(ENTITY_TYPES).describe('Entity type or federal tax classification'),
  address: z.object({
    street: z.string().min(1).describe('Street address'),
    city: z.string().min(1).describe('City'),
    postalCode: z.string().min(1).describe('Postal code or ZIP code'),
    country: z.string().length(2).describe('Country (ISO code)'),
  }),
  annualSpend: z.number().nonnegative().describe('Expected annual spend in USD'),
  paymentTerms: z.enum(PAYMENT_TERMS).describe('Payment terms'),
  bankCountry: z.string().length(2).describe('Bank country of the payment account (ISO code)'),
  contactEmail: z.email().describe('Accounts receivable contact e-mail'),
  clauses: z.array(z.string().min(1)).max(MAX_CLAUSES).describe('Contract clauses'),
});
export type VendorRecord = z.infer<typeof vendorRecord>;

/**
 * One vendor submission as procurement receives it: the text of the tax form and contract terms
 * (from the supplier portal, an e-mail, or a scan's OCR), and who asked for the vendor.
 *
 * @example
 * vendorOnboardingInput.parse({ submissionId: 'VOB-1001', source: 'email', requestedBy: 'Facilities', document: 'Form W-9 ...' });
 */
export const vendorOnboardingInput = z.object({
  submissionId: z.string().min(1).max(64),
  source: z.enum(SUBMISSION_SOURCES),
  requestedBy: z.string().min(1).max(120),
  document: z.string().min(20).max(20_000),
});
export type VendorOnboardingInput = z.infer<typeof vendorOnboardingInput>;
export type VendorContext = WorkflowContext<VendorOnboardingInput>;

/** The record the item goes on with: the AI's, or the reviewer's corrected one once a person answered. */
export function recordOf(ctx: VendorContext): VendorRecord {
  return (ctx.extract as DecisionOutput).value as VendorRecord;
}

/** A stable vendor number for a record (the same vendor submitted twice gets the same number). */
export function vendorIdFor(record: Pick<VendorRecord, 'taxId' | 'legalName'>): string {
  return `VND-${fnv1a(`${record.taxId}|${record.legalName.toLowerCase()}`).toString(36).toUpperCase().padStart(7, '0')}`;
}

const EXTRACTOR_INSTRUCTIONS = `You read vendor onboarding submissions: a US tax form (W-9) or a foreign one (W-8BEN for individuals, W-8BEN-E for companies), with the vendor's commercial terms and an excerpt of the contract, as typed in the supplier portal, written in an e-mail, or read from a scan.

Fill in the vendor record exactly as the documents state it:
- legalName: the legal name as on the tax form (line 1), not a trade name or "doing business as" name.
- taxId: the EIN (12-3456789) or, for a sole proprietor, the SSN (123-45-6789); for a foreign vendor the VAT number with its country prefix (GB123456789, DE123456789).
- formType and entityType as the form says (a single-member LLC is llc; a GmbH or Ltd is foreign_company).
- address: street, city, postal code and the two-letter country code.
- annualSpend: the expected annual spend in US dollars, as a number.
- paymentTerms: due_on_receipt, net_15, net_30, net_45 or net_60.
- bankCountry: the two-letter country code of the bank that holds the payment account.
- contactEmail: the accounts receivable contact.
- clauses: each clause of the contract excerpt, word for word, without its number.
Never guess a tax id: when the digits are unreadable, report the value you read with a low confidence.`;

function clauseProgress(ctx: VendorContext): ClauseProgress {
  return ctx.nextClause as ClauseProgress;
}

/**
 * Vendor onboarding with contract review (docs/structured-decisions.md, "The vendor onboarding
 * demo"): extract the vendor record from the tax form, check the tax id with the registry, have a
 * second agent read each contract clause against the contract policy and send only the risky ones
 * to legal, then create the vendor from the (corrected) record.
 *
 * @example
 * import { vendorOnboarding } from './demo';
 * vendorOnboarding.states.extract; // the structured decide state: a tax id below 0.95, or spend over 10,000, goes to people
 */
export const vendorOnboarding = defineWorkflow({
  name: 'vendor-onboarding',
  description:
    'Extract the vendor record from a tax form, verify the tax id with the registry, send risky contract clauses (only those) to legal, and create the vendor.',
  input: vendorOnboardingInput,
  start: 'extract',
  // Tax forms carry tax ids, addresses and bank details: anonymised a year after the vendor is done.
  retention: { days: 365, mode: 'anonymise' },
  states: {
    extract: {
      kind: 'decide',
      description: 'Read the tax form and terms into the vendor record, with a confidence per field.',
      agent: { name: 'tax-form-reader', instructions: EXTRACTOR_INSTRUCTIONS },
      output: vendorRecord,
      text: (ctx) => ctx.input.document,
      policy: {
        // On the overall confidence: the chance that every field is right.
        autoAcceptAt: 0.6,
        queue: 'vendors',
        dueInMinutes: 480,
        fields: { taxId: { autoAcceptAt: TAX_ID_AUTO_ACCEPT } },
        risks: [
          {
            name: 'large-spend',
            reason: `Expected annual spend over ${VENDOR_FOUR_EYES_USD.toLocaleString('en-US')} USD: two people check the record independently`,
            fields: ['annualSpend'],
            reviewers: 2,
            when: (_ctx, answer) =>
              (answer.value as VendorRecord | undefined)?.annualSpend !== undefined &&
              (answer.value as VendorRecord).annualSpend > VENDOR_FOUR_EYES_USD,
          },
          {
            name: 'form-country-mismatch',
            reason: 'A W-9 from outside the US, or a W-8 from a US address: check the form type and the country',
            fields: ['formType', 'address.country'],
            when: (_ctx, answer) => {
              const v = answer.value as VendorRecord | undefined;
              return v !== undefined && (v.formType === 'W-9') !== (v.address.country === 'US');
            },
          },
        ],
      },
      next: 'verifyTaxId',
    },
    verifyTaxId: {
      kind: 'task',
      description:
        'Check the tax id with the registry (IRS TIN matching, HMRC, EU VIES); retried when it does not answer.',
      retry: { maxAttempts: 4, initialDelayMs: 250, backoffFactor: 2, maxDelayMs: 2_000, jitter: 0.2 },
      onError: 'taxIdReview',
      run: (ctx, meta): TaxIdCheck => checkTaxIdWithRegistry(recordOf(ctx).taxId, meta.attempt),
      next: 'taxIdRoute',
    },
    taxIdRoute: {
      kind: 'choice',
      description: 'A tax id the registry does not know goes to procurement.',
      branches: [
        { label: 'tax id verified', when: (ctx) => (ctx.verifyTaxId as TaxIdCheck).valid === true, next: 'nextClause' },
      ],
      otherwise: 'taxIdReview',
    },
    taxIdReview: {
      kind: 'review',
      description: 'Procurement checks a tax id the registry rejected (or could not check) with the vendor.',
      queue: 'vendors',
      labels: ['verified', 'reject_vendor'],
      instructions:
        'The tax id registry did not confirm this vendor\'s tax id. Compare it with the tax form, call the vendor if needed, then choose "verified" when the number is right (say how you checked) or "reject_vendor" when it is not and the vendor must resubmit.',
      show: (ctx) => {
        const record = recordOf(ctx);
        const check = ctx.verifyTaxId as Partial<TaxIdCheck> & { error?: { message?: string } };
        return {
          legalName: record.legalName,
          taxId: record.taxId,
          formType: record.formType,
          registry: check.registry ?? 'unreachable',
          problem: check.problem ?? check.error?.message ?? null,
        };
      },
      dueInMinutes: 1440,
      next: 'afterTaxIdReview',
    },
    afterTaxIdReview: {
      kind: 'choice',
      branches: [
        {
          label: 'vendor rejected',
          when: (ctx) => (ctx.taxIdReview as DecisionOutput).label === 'reject_vendor',
          next: 'notCreated',
        },
      ],
      otherwise: 'nextClause',
    },
    nextClause: {
      kind: 'task',
      description: "Record the last clause's outcome and pick the record's next contract clause.",
      // One visit per clause and one to finish; the schema allows at most MAX_CLAUSES clauses.
      maxVisits: MAX_CLAUSES + 1,
      onMaxVisits: 'notCreated',
      run: (ctx) =>
        nextClause(recordOf(ctx).clauses, ctx.nextClause as ClauseProgress | undefined, {
          risk: ctx.clauseRisk as DecisionOutput | undefined,
          legal: ctx.legalReview as DecisionOutput | undefined,
        }),
      next: 'clauseCheck',
    },
    clauseCheck: {
      kind: 'choice',
      branches: [{ label: 'all clauses read', when: (ctx) => clauseProgress(ctx).done, next: 'legalOutcome' }],
      otherwise: 'clauseRisk',
    },
    clauseRisk: {
      kind: 'decide',
      description: 'Is this contract clause standard or risky under the contract policy?',
      agent: {
        name: 'contract-clause-reader',
        instructions: `You read one clause of a vendor's contract and say whether it is standard or risky under the company's contract policy.\n\n${CONTRACT_POLICY}\n\nAnswer risky when in doubt about a liability, renewal, exclusivity, pricing, data, jurisdiction, indemnity or termination-fee term.`,
      },
      labels: CLAUSE_LABELS,
      text: (ctx) => clauseProgress(ctx).clause ?? '',
      policy: {
        autoAcceptAt: 0.7,
        queue: 'vendors',
        dueInMinutes: 480,
        risks: [
          {
            name: 'policy-topic-called-standard',
            reason:
              'The clause touches a topic of the contract policy (liability, renewal, exclusivity, pricing, data, jurisdiction, indemnity, termination fees) and the agent calls it standard: a person checks',
            when: (ctx, answer) => answer.label === 'standard' && POLICY_TOPIC.test(clauseProgress(ctx).clause ?? ''),
          },
        ],
      },
      next: 'clauseRoute',
    },
    clauseRoute: {
      kind: 'choice',
      description: 'Only a risky clause goes to legal; the rest of the contract does not.',
      branches: [
        {
          label: 'risky clause',
          when: (ctx) => (ctx.clauseRisk as DecisionOutput).label === 'risky',
          next: 'legalReview',
        },
      ],
      otherwise: 'nextClause',
    },
    legalReview: {
      kind: 'review',
      description: 'Legal reviews one risky clause, not the whole submission.',
      queue: 'legal',
      labels: LEGAL_LABELS,
      instructions:
        'This clause was flagged as risky under the contract policy. Choose "accept" when it is acceptable for this vendor, "strike" when the vendor must take it out (the vendor is created on the contract without it), or "reject_vendor" when we should not sign with this vendor at all. Say why in a sentence.',
      // Legal sees the clause and who proposes it, not the tax form or bank details.
      show: (ctx) => {
        const progress = clauseProgress(ctx);
        const record = recordOf(ctx);
        return {
          vendor: record.legalName,
          clauseNumber: progress.index + 1,
          clauseCount: record.clauses.length,
          clause: progress.clause,
          annualSpend: record.annualSpend,
          policy: CONTRACT_POLICY,
        };
      },
      dueInMinutes: 2880,
      next: 'nextClause',
    },
    legalOutcome: {
      kind: 'choice',
      branches: [
        {
          label: 'legal rejected the vendor',
          when: (ctx) => clauseProgress(ctx).outcomes.some((o) => o.legal === 'reject_vendor'),
          next: 'notCreated',
        },
      ],
      otherwise: 'createVendor',
    },
    createVendor: {
      kind: 'task',
      description: 'Create the vendor in the vendor master from the (corrected) record.',
      run: (ctx) => {
        const record = recordOf(ctx);
        const outcomes = clauseProgress(ctx).outcomes;
        return {
          vendorId: vendorIdFor(record),
          clauses: outcomes.filter((o) => o.legal !== 'strike').map((o) => o.clause),
          struckClauses: outcomes.filter((o) => o.legal === 'strike').map((o) => o.clause),
        };
      },
      next: 'created',
    },
    created: {
      kind: 'final',
      status: 'succeeded',
      description: 'The vendor exists in the vendor master.',
      output: (ctx) => {
        const extract = ctx.extract as DecisionOutput & { changedFields?: string[] };
        const created = ctx.createVendor as { vendorId: string; clauses: string[]; struckClauses: string[] };
        return {
          vendorId: created.vendorId,
          submissionId: ctx.input.submissionId,
          record: { ...recordOf(ctx), clauses: created.clauses },
          struckClauses: created.struckClauses,
          recordBy: extract.decidedBy,
          correctedFields: extract.changedFields ?? [],
          taxIdCheck: ctx.taxIdReview
            ? 'verified_by_procurement'
            : `verified_by_${(ctx.verifyTaxId as TaxIdCheck).registry.replaceAll(' ', '_').toLowerCase()}`,
          clauseReview: clauseProgress(ctx).outcomes as ClauseOutcome[],
        };
      },
    },
    notCreated: {
      kind: 'final',
      status: 'rejected',
      description: 'Not created: the tax id could not be verified, or legal rejected a clause.',
      output: (ctx) => {
        const progress = ctx.nextClause as ClauseProgress | undefined;
        const rejected = progress?.outcomes.find((o) => o.legal === 'reject_vendor');
        return {
          submissionId: ctx.input.submissionId,
          legalName: recordOf(ctx).legalName,
          reason: rejected
            ? `Legal rejected the clause: ${rejected.clause}`
            : (ctx.taxIdReview as DecisionOutput | undefined)?.label === 'reject_vendor'
              ? 'The tax id could not be verified'
              : 'Too many contract clauses to review',
          ...(rejected?.legalNote ? { note: rejected.legalNote } : {}),
        };
      },
    },
  },
});

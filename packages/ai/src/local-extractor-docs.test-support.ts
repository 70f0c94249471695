// Synthetic vendor tax forms with known truth, in four layouts, for the built-in extractor's
// simulation tests. Layout `vendor-specific` uses labels the rules do not know and puts a decoy of
// the same type before the real value, so only learning from corrections reads it right.
import { describeFields, type FieldSpec } from '@signoff/core';
import { z } from 'zod';
import { mulberry32 } from './seeded-random';

export const vendorFormSchema = z.object({
  legalName: z.string().describe('Legal name of the business'),
  taxId: z.string().describe('Taxpayer identification number'),
  entityType: z.enum(['llc', 'c_corp', 's_corp', 'sole_proprietor', 'partnership']),
  annualSpend: z.number().describe('Expected annual spend in USD'),
  email: z.string().nullable().describe('Billing e-mail'),
  paymentTerms: z.enum(['net_15', 'net_30', 'net_60']),
});

export type VendorForm = z.infer<typeof vendorFormSchema>;

export const vendorFormFields: FieldSpec[] = describeFields(z.toJSONSchema(vendorFormSchema)).fields;

export type Layout = 'standard' | 'alternative' | 'vendor-specific' | 'next-line';

export interface VendorDoc {
  text: string;
  truth: VendorForm;
  layout: Layout;
}

const FIRST = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Vandelay', 'Soylent', 'Tyrell', 'Wonka', 'Monarch'];
const SECOND = ['Widgets', 'Supplies', 'Logistics', 'Consulting', 'Foods', 'Systems', 'Labs', 'Metals'];
const SUFFIX: Record<VendorForm['entityType'], string[]> = {
  llc: ['LLC', 'L.L.C.'],
  c_corp: ['Inc.', 'Corp.'],
  s_corp: ['Inc.', 'Co.'],
  sole_proprietor: ['', 'Services'],
  partnership: ['& Partners', 'LP'],
};
const ENTITY_WORDS: Record<VendorForm['entityType'], string[]> = {
  llc: ['LLC', 'Limited Liability Company'],
  c_corp: ['C Corporation', 'C corp'],
  s_corp: ['S Corporation', 'S corp'],
  sole_proprietor: ['Sole proprietor', 'Individual'],
  partnership: ['Partnership'],
};
const TERMS: Record<VendorForm['paymentTerms'], string> = { net_15: 'Net 15', net_30: 'Net 30', net_60: 'Net 60' };

/**
 * A generator of vendor forms: `next(layout?)` draws a document (its layout at random unless
 * given: standard 40%, alternative 25%, vendor-specific 20%, next-line 15%). A name, tax id or
 * e-mail is smudged in the text with probability `smudgeRate`, and a decoy tax id (a parent
 * company's) comes before or after the real one in a third of the alternative layouts, so that no
 * pattern is always right. Same seed, same documents.
 */
export function vendorDocs(seed: number, smudgeRate = 0.06): { next: (layout?: Layout) => VendorDoc } {
  const random = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
  const taxId = () => `${digits(2)}-${digits(7)}`;
  return {
    next(layout?: Layout): VendorDoc {
      const l: Layout =
        layout ??
        (() => {
          const r = random();
          return r < 0.4 ? 'standard' : r < 0.65 ? 'alternative' : r < 0.85 ? 'vendor-specific' : 'next-line';
        })();
      const entityType = pick(vendorFormSchema.shape.entityType.options);
      const legalName = `${pick(FIRST)} ${pick(SECOND)} ${pick(SUFFIX[entityType])}`.trim();
      const domain = `${legalName.split(' ')[0]?.toLowerCase()}.example`;
      const truth: VendorForm = {
        legalName,
        taxId: taxId(),
        entityType,
        annualSpend: 50 * Math.floor(20 + random() * 4000),
        email: random() < 0.15 ? null : `${pick(['ap', 'billing', 'invoices', 'accounts'])}@${domain}`,
        paymentTerms: pick(vendorFormSchema.shape.paymentTerms.options),
      };
      // A smudged copy (one character changed, as a scan or a typist would): the person reads the
      // right value from elsewhere, the extractor reads the smudge.
      const smudge = <T extends string>(v: T): string => {
        if (random() >= smudgeRate || v.length < 2) return v;
        const i = 1 + Math.floor(random() * (v.length - 1));
        const c = v[i] as string;
        const swap = /\d/.test(c)
          ? String((Number(c) + 1) % 10)
          : c === c.toUpperCase()
            ? c.toLowerCase()
            : c.toUpperCase();
        return `${v.slice(0, i)}${swap}${v.slice(i + 1)}`;
      };
      const shown = { name: smudge(legalName), taxId: smudge(truth.taxId), email: truth.email && smudge(truth.email) };
      const money = pick([
        `$${truth.annualSpend.toLocaleString('en-US')}.00`,
        `${truth.annualSpend} USD`,
        `USD ${truth.annualSpend.toLocaleString('en-US')}`,
      ]);
      const entity = pick(ENTITY_WORDS[entityType]);
      const lines: string[] = ['Request for Taxpayer Identification Number and Certification'];
      const email = shown.email;
      const parent = random() < 1 / 3 ? `Parent company EIN: ${taxId()}` : undefined;
      const decoyFirst = random() < 0.5;
      switch (l) {
        case 'standard':
          lines.push(`Legal name: ${shown.name}`, `Tax ID: ${shown.taxId}`, `Entity type: ${entity}`);
          lines.push(`Annual spend: ${money}`);
          if (email) lines.push(`E-mail: ${email}`);
          lines.push(`Payment terms: ${TERMS[truth.paymentTerms]}`);
          break;
        case 'alternative':
          lines.push(`Business name: ${shown.name}`, `Type of entity: ${entity}`);
          if (parent && decoyFirst) lines.push(parent);
          lines.push(`EIN: ${shown.taxId}`);
          if (parent && !decoyFirst) lines.push(parent);
          lines.push(`Expected yearly spend: ${money}`, `Terms: ${TERMS[truth.paymentTerms]}`);
          if (email) lines.push(`Billing email - ${email}`);
          break;
        case 'vendor-specific':
          // Labels the rules do not know, each after a decoy of the same type.
          lines.push(`Registered company ${shown.name}`, `Ref no ${taxId()} (our purchase file)`);
          lines.push(`Fed. reg. no. ${shown.taxId}`, `Organised as ${entity}`);
          lines.push(`Order minimum 500 USD; budget ${money}`);
          lines.push(`Sales contact sales@${domain}`);
          if (email) lines.push(`Remit invoices to ${email}`);
          // Without a remittance address, reviewers sometimes settle for the sales contact.
          else if (random() < 0.3) truth.email = `sales@${domain}`;
          lines.push(`Settlement ${TERMS[truth.paymentTerms]}`);
          break;
        case 'next-line':
          lines.push('Legal name:', shown.name, 'Tax ID:', shown.taxId, 'Entity type:', entity);
          lines.push('Annual spend:', money, 'Payment terms:', TERMS[truth.paymentTerms]);
          if (email) lines.push('E-mail:', email);
          break;
      }
      lines.push(`Signed ${pick(['J. Smith', 'A. Jones', 'M. Garcia'])}, ${pick(['2026-01-12', 'March 3, 2026'])}`);
      return { text: lines.join('\n'), truth, layout: l };
    },
  };
}

import { describeFields } from '@signoff/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { extractFields, isMeasuring, learnExtractor } from './local-extractor-learning';
import { applyPattern, minePatterns, type Pattern, readerFor } from './local-extractor-patterns';
import {
  afterPhrase,
  optionScanner,
  readDoc,
  scanBooleans,
  scanDates,
  scanEmails,
  scanNumbers,
  scanTaxIds,
} from './local-extractor-text';

const values = (found: { value: unknown }[]) => found.map((f) => f.value);

describe('scanners', () => {
  it('reads amounts with currency signs, codes, thousands separators and units, but not ids or dates', () => {
    expect(values(scanNumbers('Spend: $12,500.00 a year'))).toEqual([12500]);
    expect(values(scanNumbers('USD 1,200 or 3.5k or 2 million'))).toEqual([1200, 3500, 2_000_000]);
    expect(values(scanNumbers('EIN 12-3456789 on 2026-03-01, 03/01/2026'))).toEqual([]);
    expect(values(scanNumbers('12 500 USD'))).toEqual([12500]);
  });

  it('reads tax ids (EIN and SSN forms), e-mails, dates and yes/no cues', () => {
    expect(values(scanTaxIds('EIN 12-3456789, SSN 123-45-6789, phone 555-123-45678'))).toEqual([
      '12-3456789',
      '123-45-6789',
    ]);
    expect(values(scanEmails('write to ap@acme.example.'))).toEqual(['ap@acme.example']);
    expect(values(scanDates('on March 1, 2026 or 2026-03-02 or 03/04/2026 or 05.04.2026 or 31 Feb 2026'))).toEqual([
      '2026-03-01',
      '2026-03-02',
      '2026-03-04',
      '2026-04-05',
    ]);
    expect(values(scanBooleans('[x] exempt'))).toEqual([true]);
    expect(values(scanBooleans('No, not subject'))).toEqual([false]);
    expect(values(scanBooleans('Nothing'))).toEqual([]);
  });

  it('finds enum options by their words and synonyms, the longest spelling winning', () => {
    const scan = optionScanner(['llc', 'c_corp', 's_corp', 'sole_proprietor', 'net_30']);
    expect(values(scan('a Limited Liability Company'))).toEqual(['llc']);
    expect(values(scan('S Corporation, not a C corp'))).toEqual(['s_corp', 'c_corp']);
    expect(values(scan('Sole proprietorship; terms Net 30'))).toEqual(['sole_proprietor', 'net_30']);
  });
});

describe('afterPhrase', () => {
  it('skips separators, and takes the next line when the label ends its own', () => {
    const doc = readDoc('Tax ID (EIN): 12-3456789\nLegal name:\n\nAcme LLC');
    expect(afterPhrase(doc, ['tax', 'id', 'ein'])).toEqual([{ rest: '12-3456789', line: 0, nextLine: false }]);
    expect(afterPhrase(doc, ['legal', 'name'])).toEqual([{ rest: 'Acme LLC', line: 3, nextLine: true }]);
    expect(afterPhrase(doc, ['missing'])).toEqual([]);
  });
});

const schema = z.object({
  legalName: z.string(),
  taxId: z.string(),
  entityType: z.enum(['llc', 'c_corp', 'partnership']),
  address: z.object({ city: z.string() }),
  clauses: z.array(z.string()),
  exempt: z.boolean(),
});
const fields = describeFields(z.toJSONSchema(schema)).fields;
const spec = (path: string) => {
  const leaf = [...fields, ...(fields.find((f) => f.path === 'address')?.fields ?? [])].find((f) => f.path === path);
  if (!leaf) throw new Error(path);
  return leaf;
};

describe('patterns', () => {
  it('reads lists from one line or from the bullets under a heading', () => {
    const reader = readerFor(spec('clauses'));
    const after: Pattern = { kind: 'after', phrase: ['clauses'], seg: 0 };
    expect(applyPattern(reader, readDoc('Clauses: auto-renewal; exclusivity and audit rights'), after)).toEqual([
      'auto-renewal',
      'exclusivity',
      'audit rights',
    ]);
    expect(applyPattern(reader, readDoc('Clauses:\n- Auto-renewal\n2. Exclusivity\nSigned'), after)).toEqual([
      'Auto-renewal',
      'Exclusivity',
    ]);
  });

  it('mines the words before a corrected value, keeping only phrases that read it back', () => {
    const reader = readerFor(spec('taxId'));
    const doc = readDoc('Ref no 98-7654321\nFed. reg. no. 12-3456789');
    const mined = minePatterns(reader, doc, '12-3456789').map((p) =>
      p.kind === 'after' ? p.phrase.join(' ') : p.kind,
    );
    // "no" alone reads the decoy first ("Ref no"), so it is not kept.
    expect(mined).toEqual(['reg no', 'fed reg no']);
  });

  it('mines the part of a line a value is (a city in a one-line address)', () => {
    const reader = readerFor(spec('address.city'));
    const mined = minePatterns(reader, readDoc('Address: 1 Main St, Springfield, IL'), 'Springfield');
    expect(mined).toContainEqual({ kind: 'after', phrase: ['address'], seg: 2 });
  });
});

describe('learnExtractor', () => {
  it('without labels answers with the rules and their priors', () => {
    const r = extractFields(learnExtractor(fields, []), 'Legal name: Acme LLC\nTax ID: 12-3456789\n[x] Exempt');
    expect(r.legalName?.value).toBe('Acme LLC');
    // A label sharing both words of the name: prior 0.55 + 0.3 = 0.85.
    expect(r.taxId).toMatchObject({ value: '12-3456789', pattern: 'after "tax id"' });
    expect(r.taxId?.confidence).toBeCloseTo(0.85, 12);
    expect(r.taxId?.note).toBe('after "tax id": no past labels, prior 0.85');
    // Nothing reads the city: the required string's empty value, with the prior of "no value found".
    expect(r['address.city']).toMatchObject({ value: '', pattern: 'no value found' });
    expect(r['address.city']?.confidence).toBeCloseTo(0.3, 12);
  });

  it('gives a pattern the Beta posterior mean of its record on the measuring half of the labels', () => {
    // Texts differ by a line, so they fall on both sides of the split; every one is labelled by
    // "Tax ID:", its value wrong in the text of some (a smudge the reviewer corrected).
    const examples = Array.from({ length: 40 }, (_, i) => {
      const id = `12-${String(1000000 + i)}`;
      const smudged = i % 4 === 0;
      return {
        text: `Form ${i}\nTax ID: ${smudged ? `99-${String(1000000 + i)}` : id}`,
        value: { taxId: id },
      };
    });
    const measuring = examples.filter((e) => isMeasuring(e.text));
    const right = measuring.filter((e) => !e.text.includes('99-')).length;
    const r = extractFields(learnExtractor(fields, examples), 'Tax ID: 12-7654321').taxId;
    expect(r?.pattern).toBe('after "tax id"');
    // Prior Beta(1.7, 0.3) plus the record.
    expect(r?.confidence).toBeCloseTo((1.7 + right) / (2 + measuring.length), 12);
    expect(r?.note).toBe(`after "tax id": right on ${right} of ${measuring.length} past labels`);
    expect(measuring.length).toBeGreaterThan(10);
    expect(measuring.length).toBeLessThan(30);
  });
});

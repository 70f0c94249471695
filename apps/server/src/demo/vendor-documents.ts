// Vendor submissions for the onboarding demo, generated from a seed: the vendor's true record
// (ground truth for tests and the demo's history) and the document procurement receives, written
// in one of several formats (a supplier-portal form, the tax form's own lines, an e-mail, an OCR'd
// scan with its misreadings), so the extractor meets labels it knows, labels it does not, and
// values it has to find in prose. The same seed always gives the same submissions.

import { mulberry32 } from './support-items';
import { RISKY_CLAUSES, STANDARD_CLAUSES } from './vendor-clauses';
import type { VendorOnboardingInput, VendorRecord } from './vendor-onboarding';
import { germanVatCheckDigit, ukVatCheckDigits } from './vendor-tax-id';

export type DocumentFormat = 'portal' | 'tax-form' | 'email' | 'scan';

export interface VendorSubmission {
  idempotencyKey: string;
  input: VendorOnboardingInput;
  /** What the document says, as a careful person would enter it. */
  truth: VendorRecord;
  format: DocumentFormat;
  /** Which clauses of `truth.clauses` break the contract policy. */
  riskyClauses: string[];
}

const US_PLACES = [
  ['Oakland', 'CA', '94607'],
  ['Austin', 'TX', '78701'],
  ['Boston', 'MA', '02110'],
  ['Denver', 'CO', '80202'],
  ['Chicago', 'IL', '60601'],
  ['Seattle', 'WA', '98101'],
  ['Atlanta', 'GA', '30303'],
  ['Portland', 'OR', '97204'],
  ['Columbus', 'OH', '43215'],
  ['Raleigh', 'NC', '27601'],
] as const;
const GB_PLACES = [
  ['London', 'EC1V 9HX'],
  ['Manchester', 'M1 1AE'],
  ['Leeds', 'LS1 4DY'],
] as const;
const DE_PLACES = [
  ['Berlin', '10115'],
  ['München', '80331'],
  ['Hamburg', '20095'],
  ['Stuttgart', '70173'],
] as const;
const STREETS = [
  'Harbor Blvd',
  'Main Street',
  'Market St',
  'Elm Avenue',
  'Commerce Drive',
  'Lake Shore Rd',
  'Pine Street',
];
const GB_STREETS = ['Old Street', 'Deansgate', 'Park Row', 'Bridge Road'];
const DE_STREETS = ['Industriestraße', 'Hauptstraße', 'Am Hafen', 'Königsallee'];
const FIRST = [
  'Brightline',
  'Kestrel',
  'Northwind',
  'Summit Ridge',
  'Bluewater',
  'Ironleaf',
  'Copperfield',
  'Granite Peak',
  'Meridian',
  'Oakhurst',
  'Cobalt',
  'Juniper',
  'Lakeshore',
  'Redwood',
];
const TRADE = [
  'Logistics',
  'Analytics',
  'Office Supply',
  'Catering',
  'Facilities Services',
  'Print & Signage',
  'IT Consulting',
  'Staffing',
  'Electrical',
  'Cleaning Services',
  'Software',
  'Translation',
];
const PEOPLE = ['Maria Alvarez', 'Daniel Okafor', 'Priya Raman', 'Tom Becker', 'Aiko Tanaka', 'Lucas Moreau'];
const DE_WORDS = ['Müller', 'Schmidt & Söhne', 'Nordlicht', 'Weber', 'Rheintal'];
const DE_TRADE = ['Präzisionstechnik', 'Logistik', 'Datentechnik', 'Messebau'];
const GB_WORDS = ['Thames', 'Pennine', 'Albion', 'Kingsbridge'];
const SPEND = [1_200, 2_400, 4_800, 6_500, 7_250, 9_900, 10_000, 12_500, 18_900, 36_000, 48_000, 95_000];
const BANKS: Record<string, string> = {
  US: 'JPMorgan Chase, New York',
  GB: 'Barclays, London',
  DE: 'Deutsche Bank, Frankfurt',
};
const COUNTRY_NAMES: Record<string, string> = { US: 'United States', GB: 'United Kingdom', DE: 'Germany' };
const REQUESTERS = ['Facilities', 'Marketing', 'IT', 'Finance', 'Operations', 'People team'];

const TERMS_WORDS: Record<VendorRecord['paymentTerms'], string[]> = {
  due_on_receipt: ['Due on receipt', 'payable on receipt'],
  net_15: ['Net 15', 'net 15 days'],
  net_30: ['Net 30', 'net 30 days', '30 days net'],
  net_45: ['Net 45', 'net 45 days'],
  net_60: ['Net 60', 'net 60 days'],
};
const ENTITY_WORDS: Record<VendorRecord['entityType'], string> = {
  individual: 'Individual/sole proprietor',
  llc: 'Limited liability company',
  c_corporation: 'C Corporation',
  s_corporation: 'S Corporation',
  partnership: 'Partnership',
  foreign_company: 'Corporation (foreign)',
};

type Random = ReturnType<typeof createRandom>;
function createRandom(seed: number) {
  const next = mulberry32(seed);
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  return { next, int, pick, digits: (n: number) => Array.from({ length: n }, () => String(int(0, 9))).join('') };
}

function money(n: number, style: number): string {
  const grouped = n.toLocaleString('en-US');
  return [`$${grouped}`, `USD ${grouped}.00`, `${grouped} USD`][style % 3] as string;
}

/** A tax id the registry accepts (or, with `invalid`, one it refuses: an unassigned prefix, a bad check digit). */
function taxIdFor(r: Random, country: string, entity: VendorRecord['entityType'], invalid: boolean): string {
  if (country === 'GB') {
    const first7 = r.digits(7);
    const check = ukVatCheckDigits(first7);
    return `GB${first7}${invalid ? String((Number(check) + 1) % 100).padStart(2, '0') : check}`;
  }
  if (country === 'DE') {
    const first8 = `${r.int(1, 3)}${r.digits(7)}`;
    const check = germanVatCheckDigit(first8);
    return `DE${first8}${invalid ? (check + 1) % 10 : check}`;
  }
  if (entity === 'individual')
    return `${invalid ? '666' : String(r.int(101, 665))}-${String(r.int(10, 99))}-${r.digits(4).replace(/^0000$/, '1234')}`;
  const prefix = invalid ? r.pick(['07', '17', '89']) : r.pick(['12', '20', '27', '33', '46', '52', '81', '94']);
  return `${prefix}-${r.digits(7)}`;
}

function pickClauses(r: Random): { clauses: string[]; risky: string[] } {
  const standard = [...STANDARD_CLAUSES].sort(() => r.next() - 0.5).slice(0, r.int(2, 3));
  const roll = r.next();
  const risky =
    roll < 0.06 ? [r.pick(RISKY_CLAUSES), r.pick(RISKY_CLAUSES)] : roll < 0.36 ? [r.pick(RISKY_CLAUSES)] : [];
  const unique = [...new Set(risky)];
  const clauses = [...standard];
  for (const c of unique) clauses.splice(r.int(0, clauses.length), 0, c);
  return { clauses, risky: unique };
}

/** A vendor's true record. */
function vendorOf(r: Random, n: number): { record: VendorRecord; invalidTaxId: boolean } {
  const roll = r.next();
  const country = roll < 0.72 ? 'US' : roll < 0.86 ? 'DE' : 'GB';
  const invalidTaxId = r.next() < 0.08;
  let legalName: string;
  let entityType: VendorRecord['entityType'];
  let formType: VendorRecord['formType'];
  let street: string;
  let city: string;
  let postalCode: string;
  if (country === 'US') {
    entityType = r.pick(['llc', 'llc', 'c_corporation', 's_corporation', 'partnership', 'individual'] as const);
    const base = `${r.pick(FIRST)} ${r.pick(TRADE)}`;
    legalName =
      entityType === 'individual'
        ? r.pick(PEOPLE)
        : `${base} ${{ llc: 'LLC', c_corporation: 'Inc.', s_corporation: 'Corp.', partnership: 'LLP' }[entityType]}`;
    formType = 'W-9';
    const [c, state, zip] = r.pick(US_PLACES);
    street = `${r.int(10, 4999)} ${r.pick(STREETS)}${r.next() < 0.3 ? `, Suite ${r.int(100, 900)}` : ''}`;
    city = c;
    postalCode = zip;
    void state;
  } else {
    const individual = r.next() < 0.2;
    entityType = individual ? 'individual' : 'foreign_company';
    formType = individual ? 'W-8BEN' : 'W-8BEN-E';
    if (country === 'DE') {
      legalName = individual
        ? r.pick(['Jonas Weber', 'Lena Hoffmann', 'Felix Braun'])
        : `${r.pick(DE_WORDS)} ${r.pick(DE_TRADE)} GmbH`;
      const [c, zip] = r.pick(DE_PLACES);
      street = `${r.pick(DE_STREETS)} ${r.int(1, 120)}`;
      city = c;
      postalCode = zip;
    } else {
      legalName = individual ? r.pick(['Oliver Hughes', 'Amelia Clarke']) : `${r.pick(GB_WORDS)} ${r.pick(TRADE)} Ltd`;
      const [c, pc] = r.pick(GB_PLACES);
      street = `${r.int(1, 250)} ${r.pick(GB_STREETS)}`;
      city = c;
      postalCode = pc;
    }
  }
  const domain = `${legalName
    .toLowerCase()
    .replace(/&/g, 'and')
    .replace(/[^a-z0-9]+/g, '')}.example`.replace(/^\.+/, '');
  const { clauses } = pickClauses(r);
  const record: VendorRecord = {
    legalName,
    taxId: taxIdFor(r, country, entityType, invalidTaxId),
    formType,
    entityType,
    address: { street, city, postalCode, country },
    annualSpend: r.pick(SPEND) + (n % 7 === 0 ? 0 : r.int(0, 9) * 10),
    paymentTerms: r.pick(['net_30', 'net_30', 'net_45', 'net_15', 'net_60', 'due_on_receipt'] as const),
    // Now and then a vendor is paid into an account in another country than its address.
    bankCountry: r.next() < 0.1 ? (country === 'US' ? 'GB' : 'US') : country,
    contactEmail: `${r.pick(['ap', 'billing', 'accounts', 'invoices'])}@${domain}`,
    clauses,
  };
  return { record, invalidTaxId };
}

function clauseLines(record: VendorRecord, r: Random, heading: string): string {
  const bullet = r.next() < 0.5;
  return `${heading}\n${record.clauses.map((c, i) => (bullet ? `- ${c}` : `${i + 1}. ${c}`)).join('\n')}`;
}

function termsWords(record: VendorRecord, r: Random): string {
  return r.pick(TERMS_WORDS[record.paymentTerms]);
}

function portalDocument(v: VendorRecord, r: Random): string {
  const a = v.address;
  return [
    'Supplier portal: new vendor registration',
    `Legal name: ${v.legalName}`,
    `Tax ID: ${v.taxId}`,
    `Tax form: ${v.formType}`,
    `Entity type: ${ENTITY_WORDS[v.entityType]}`,
    `Street address: ${a.street}`,
    `City: ${a.city}`,
    `Postal code: ${a.postalCode}`,
    `Country: ${a.country}`,
    `Expected annual spend: ${money(v.annualSpend, r.int(0, 2))}`,
    `Payment terms: ${termsWords(v, r)}`,
    `Bank country: ${v.bankCountry}`,
    `Contact e-mail: ${v.contactEmail}`,
    '',
    clauseLines(v, r, 'Contract clauses:'),
  ].join('\n');
}

function taxFormDocument(v: VendorRecord, r: Random): string {
  const a = v.address;
  const form =
    v.formType === 'W-9'
      ? [
          'Form W-9 (Rev. March 2024) Request for Taxpayer Identification Number and Certification',
          `1 Name (as shown on your income tax return): ${v.legalName}`,
          `3a Federal tax classification: ${ENTITY_WORDS[v.entityType]}`,
          `5 Address (number, street, and apt. or suite no.): ${a.street}`,
          `6 City, state, and ZIP code: ${a.city}, ${US_PLACES.find((p) => p[0] === a.city)?.[1] ?? ''} ${a.postalCode}`,
          v.entityType === 'individual'
            ? `Part I Social security number: ${v.taxId}`
            : `Part I Employer identification number: ${v.taxId}`,
          'Part II Certification: signed',
        ]
      : [
          `Form ${v.formType} Certificate of Foreign Status of Beneficial Owner for United States Tax Withholding`,
          `1 Name of ${v.formType === 'W-8BEN' ? 'individual who is the beneficial owner' : 'organization that is the beneficial owner'}: ${v.legalName}`,
          `2 Country of incorporation or citizenship: ${COUNTRY_NAMES[a.country]}`,
          `4 Chapter 3 status: ${v.entityType === 'individual' ? 'Individual' : 'Corporation'}`,
          `6 Permanent residence address: ${a.street}, ${a.postalCode} ${a.city}`,
          `Country: ${a.country}`,
          `9b Foreign TIN: ${v.taxId}`,
        ];
  return [
    ...form,
    '',
    'Vendor information sheet',
    `Annual spend (estimate): ${money(v.annualSpend, r.int(0, 2))}`,
    `Terms: ${termsWords(v, r)}`,
    `Remit to: ${BANKS[v.bankCountry] ?? 'a bank'}, bank country ${v.bankCountry}`,
    `A/R e-mail: ${v.contactEmail}`,
    '',
    clauseLines(v, r, 'Contract terms (excerpt):'),
  ].join('\n');
}

function emailDocument(v: VendorRecord, r: Random): string {
  const a = v.address;
  const who = v.entityType === 'individual' ? 'I work as a sole proprietor' : `We are ${v.legalName}`;
  const idWord = a.country === 'US' ? (v.entityType === 'individual' ? 'SSN' : 'EIN') : 'VAT number';
  return [
    `Subject: Vendor setup for ${v.legalName}`,
    '',
    'Hello procurement team,',
    '',
    `${who} and would like to be set up as a vendor. Legal name: ${v.legalName}. Our ${idWord} is ${v.taxId}; the signed ${v.formType} is attached.`,
    `Our address is ${a.street}, ${a.city} ${a.postalCode}, ${COUNTRY_NAMES[a.country]} (${a.country}).`,
    `Your team estimated about ${money(v.annualSpend, 0)} a year of orders. We invoice ${termsWords(v, r)}; payments go to our account with ${BANKS[v.bankCountry] ?? 'our bank'} (bank country: ${v.bankCountry}).`,
    `Please send remittance advice to ${v.contactEmail}.`,
    '',
    clauseLines(v, r, 'The contract draft contains these clauses:'),
    '',
    `Kind regards,\n${v.entityType === 'individual' ? v.legalName : `Accounts team, ${v.legalName}`}`,
  ].join('\n');
}

/** OCR misreadings of a scanned form's printed labels (the typed values are read correctly). */
const OCR_SLIPS: [RegExp, string][] = [
  [/Employer identification number/, 'Ernployer identification nurnber'],
  [/Name \(as shown/, 'Narne (as shown'],
  [/Address \(number/, 'Addres5 (number'],
  [/Federal tax classification/, 'Federal tax c1assification'],
  [/Foreign TIN/, 'Foreign T1N'],
];

function scanDocument(v: VendorRecord, r: Random): string {
  let text = taxFormDocument(v, r);
  for (const [from, to] of OCR_SLIPS) if (r.next() < 0.6) text = text.replace(from, to);
  return `[scanned PDF, OCR text]\n${text}`;
}

const RENDER: Record<DocumentFormat, (v: VendorRecord, r: Random) => string> = {
  portal: portalDocument,
  'tax-form': taxFormDocument,
  email: emailDocument,
  scan: scanDocument,
};
const SOURCE: Record<DocumentFormat, VendorOnboardingInput['source']> = {
  portal: 'supplier_portal',
  'tax-form': 'email',
  email: 'email',
  scan: 'scan',
};

/**
 * `count` vendor submissions from `seed`, each with the vendor's true record. Keys are
 * `${keyPrefix}${n}`, so a restart submits nothing twice.
 *
 * @example
 * const [first] = generateVendorSubmissions(1);
 * first.input.document; // 'Supplier portal: new vendor registration\nLegal name: ...'
 */
export function generateVendorSubmissions(count: number, seed = 6_006, keyPrefix = 'demo-vendor-'): VendorSubmission[] {
  const r = createRandom(seed);
  return Array.from({ length: count }, (_, n) => {
    const { record } = vendorOf(r, n);
    const roll = r.next();
    const format: DocumentFormat = roll < 0.4 ? 'portal' : roll < 0.65 ? 'tax-form' : roll < 0.85 ? 'email' : 'scan';
    return {
      idempotencyKey: `${keyPrefix}${n}`,
      input: {
        submissionId: `VOB-${String(1001 + n)}`,
        source: SOURCE[format],
        requestedBy: r.pick(REQUESTERS),
        document: RENDER[format](record, r),
      },
      truth: record,
      format,
      riskyClauses: record.clauses.filter((c) => RISKY_CLAUSES.includes(c)),
    };
  });
}

// The demo's "external" tax id check: a stand-in for an IRS TIN-matching or EU VIES call, with the
// rules those registries really apply to the number's shape (EIN campus prefixes, SSN areas, the
// UK VAT mod-97 and German MOD 11,10 check digits) and an outage now and then, so the workflow's
// retry policy has something to do. Deterministic and without I/O: the same id on the same try
// always gives the same answer.
import { fnv1a } from './support-crm';

/** EIN prefixes the IRS has never assigned (its campus prefix list). */
const UNASSIGNED_EIN_PREFIXES = new Set([
  '00',
  '07',
  '08',
  '09',
  '17',
  '18',
  '19',
  '28',
  '29',
  '49',
  '69',
  '70',
  '78',
  '79',
  '89',
  '96',
  '97',
]);

/** The shapes the vendor record's `taxId` accepts: EIN, SSN, UK or German VAT number. */
export const TAX_ID_PATTERN = /^(\d{2}-\d{7}|\d{3}-\d{2}-\d{4}|GB\d{9}|DE\d{9})$/;

export type TaxIdKind = 'ein' | 'ssn' | 'vat-gb' | 'vat-de';
export type TaxRegistry = 'IRS TIN matching' | 'HMRC VAT check' | 'EU VIES';

export interface TaxIdCheck {
  taxId: string;
  kind: TaxIdKind | 'unknown';
  /** The registry knows the number (its shape and check digits hold). */
  valid: boolean;
  /** Why it is not valid, in words; absent when valid. */
  problem?: string;
  /** Which (simulated) registry answered. */
  registry: TaxRegistry;
  /** The try that got the answer (1 = first). */
  attempt: number;
}

/** The UK VAT check: weights 8..2 on the first seven digits, plus the last two, is 0 or 42 mod 97. */
function ukVatValid(digits: string): boolean {
  const sum = [...digits.slice(0, 7)].reduce((s, d, i) => s + Number(d) * (8 - i), 0) + Number(digits.slice(7));
  return sum % 97 === 0 || (sum + 55) % 97 === 0;
}

/** ISO 7064 MOD 11,10 over the first eight digits gives the ninth (German USt-IdNr). */
export function germanVatCheckDigit(first8: string): number {
  let product = 10;
  for (const d of first8) {
    let sum = (Number(d) + product) % 10;
    if (sum === 0) sum = 10;
    product = (2 * sum) % 11;
  }
  const check = 11 - product;
  return check === 10 ? 0 : check;
}

/** The last two digits that make seven UK VAT digits valid (the `% 97 === 0` form). */
export function ukVatCheckDigits(first7: string): string {
  const sum = [...first7].reduce((s, d, i) => s + Number(d) * (8 - i), 0);
  const check = (97 - (sum % 97)) % 97;
  return String(check).padStart(2, '0');
}

/**
 * What the registry says about a tax id's number alone.
 *
 * @example
 * validateTaxId('12-3456789'); // => { kind: 'ein', valid: true }
 * validateTaxId('07-1234567'); // => { kind: 'ein', valid: false, problem: 'EIN prefix 07 was never assigned by the IRS' }
 */
export function validateTaxId(taxId: string): { kind: TaxIdKind | 'unknown'; valid: boolean; problem?: string } {
  if (/^\d{2}-\d{7}$/.test(taxId)) {
    const prefix = taxId.slice(0, 2);
    return UNASSIGNED_EIN_PREFIXES.has(prefix)
      ? { kind: 'ein', valid: false, problem: `EIN prefix ${prefix} was never assigned by the IRS` }
      : { kind: 'ein', valid: true };
  }
  if (/^\d{3}-\d{2}-\d{4}$/.test(taxId)) {
    const [area, group, serial] = taxId.split('-') as [string, string, string];
    if (area === '000' || area === '666' || area.startsWith('9'))
      return { kind: 'ssn', valid: false, problem: `SSN area ${area} is never issued` };
    if (group === '00' || serial === '0000')
      return { kind: 'ssn', valid: false, problem: 'SSN group 00 or serial 0000 is never issued' };
    return { kind: 'ssn', valid: true };
  }
  if (/^GB\d{9}$/.test(taxId))
    return ukVatValid(taxId.slice(2))
      ? { kind: 'vat-gb', valid: true }
      : { kind: 'vat-gb', valid: false, problem: 'UK VAT check digits do not match' };
  if (/^DE\d{9}$/.test(taxId))
    return germanVatCheckDigit(taxId.slice(2, 10)) === Number(taxId.slice(10))
      ? { kind: 'vat-de', valid: true }
      : { kind: 'vat-de', valid: false, problem: 'German VAT check digit does not match' };
  return { kind: 'unknown', valid: false, problem: 'not an EIN, SSN or UK/German VAT number' };
}

/**
 * How many first tries of a tax id the (simulated) registry fails: most ids none, about one in
 * five one (a timeout), about one in twenty two. Keyed on the id so a demo run always looks the same.
 */
export function registryOutages(taxId: string): number {
  const h = fnv1a(`tin-registry:${taxId}`) % 20;
  return h === 0 ? 2 : h < 4 ? 1 : 0;
}

/**
 * The workflow's call to the tax id registry: throws on a simulated outage (the task's retry
 * policy tries again), else answers what `validateTaxId` finds.
 *
 * @example
 * checkTaxIdWithRegistry('12-3456789', 1); // throws on an outage's try, else { valid: true, registry: 'IRS TIN matching', ... }
 */
export function checkTaxIdWithRegistry(taxId: string, attempt: number): TaxIdCheck {
  const registry: TaxRegistry = taxId.startsWith('GB')
    ? 'HMRC VAT check'
    : taxId.startsWith('DE')
      ? 'EU VIES'
      : 'IRS TIN matching';
  if (attempt <= registryOutages(taxId))
    throw new Error(`${registry} did not answer in time (simulated outage, try ${attempt})`);
  return { taxId, ...validateTaxId(taxId), registry, attempt };
}

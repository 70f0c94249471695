// PII detection and masking (issue 12 point 5). Pure functions; no I/O except reading configured patterns
// from a file when asked to. See docs/pii.md.
import { readFileSync } from 'node:fs';
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { z } from 'zod';

/** A configured pattern: its name becomes the match kind and the mask token (`[name]`). */
export interface PiiPattern {
  name: string;
  regex: RegExp;
}

export type PiiKind = 'email' | 'phone' | 'card' | 'iban' | (string & {});

export interface PiiMatch {
  kind: PiiKind;
  /** Offsets into the text, `end` exclusive. */
  start: number;
  end: number;
}

export class PiiPatternError extends Error {}

/** The shape of `SIGNOFF_PII_PATTERNS`, a patterns file, or a workflow's `pii.patterns`. */
export const piiPatternSpecSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,39}$/, 'a pattern name is lower case letters, digits, - or _ (at most 40)')
      .refine((n) => !['email', 'phone', 'card', 'iban'].includes(n), 'email, phone, card and iban are built in'),
    regex: z.string().min(1, 'regex must not be empty').max(1000),
    flags: z
      .string()
      .regex(/^[imsu]*$/, 'flags may only contain i, m, s and u')
      .optional(),
  })
  .strict();
export type PiiPatternSpec = z.infer<typeof piiPatternSpecSchema>;
export const piiPatternSpecsSchema = z.array(piiPatternSpecSchema).max(100);

/**
 * Validates and compiles pattern specs; `source` names where they came from (an env variable, a file,
 * a workflow) so the error says where to look. Throws PiiPatternError naming the bad pattern.
 */
export function compilePiiPatterns(specs: unknown, source: string): PiiPattern[] {
  const parsed = piiPatternSpecsSchema.safeParse(specs);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const index = typeof issue?.path[0] === 'number' ? issue.path[0] : undefined;
    const name =
      index !== undefined && Array.isArray(specs) ? (specs[index] as { name?: unknown } | undefined)?.name : undefined;
    const where = index === undefined ? '' : ` pattern ${index}${typeof name === 'string' ? ` "${name}"` : ''}`;
    const field = issue && issue.path.length > 1 ? ` (${issue.path.slice(1).join('.')})` : '';
    throw new PiiPatternError(`${source}:${where}${field}: ${issue?.message ?? 'invalid PII patterns'}`);
  }
  const seen = new Set<string>();
  return parsed.data.map((spec) => {
    if (seen.has(spec.name)) throw new PiiPatternError(`${source}: pattern "${spec.name}" is defined twice`);
    seen.add(spec.name);
    let regex: RegExp;
    try {
      regex = new RegExp(spec.regex, `${spec.flags ?? ''}g`);
    } catch (error) {
      throw new PiiPatternError(
        `${source}: pattern "${spec.name}" is not a valid regular expression: ${(error as Error).message}`,
      );
    }
    if (regex.test('')) throw new PiiPatternError(`${source}: pattern "${spec.name}" matches the empty string`);
    return { name: spec.name, regex };
  });
}

/** Parses pattern specs from JSON text (`SIGNOFF_PII_PATTERNS` or the content of a patterns file). */
export function parsePiiPatternsJson(json: string, source: string): PiiPattern[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new PiiPatternError(`${source}: not valid JSON: ${(error as Error).message}`);
  }
  return compilePiiPatterns(value, source);
}

/**
 * The deployment's patterns: `SIGNOFF_PII_PATTERNS` (JSON array of `{name, regex, flags?}`) and/or
 * `SIGNOFF_PII_PATTERNS_FILE` (a file holding the same). Throws PiiPatternError on a bad pattern.
 */
export function loadPiiPatternsFromEnv(env: Record<string, string | undefined> = process.env): PiiPattern[] {
  const patterns: PiiPattern[] = [];
  const inline = env.SIGNOFF_PII_PATTERNS?.trim();
  if (inline) patterns.push(...parsePiiPatternsJson(inline, 'SIGNOFF_PII_PATTERNS'));
  const file = env.SIGNOFF_PII_PATTERNS_FILE?.trim();
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new PiiPatternError(`SIGNOFF_PII_PATTERNS_FILE: cannot read ${file}: ${(error as Error).message}`);
    }
    patterns.push(...parsePiiPatternsJson(text, `SIGNOFF_PII_PATTERNS_FILE (${file})`));
  }
  return mergePiiPatterns(patterns);
}

/** Union by name (the first definition of a name wins). */
export function mergePiiPatterns(...lists: PiiPattern[][]): PiiPattern[] {
  const byName = new Map<string, PiiPattern>();
  for (const list of lists) for (const p of list) if (!byName.has(p.name)) byName.set(p.name, p);
  return [...byName.values()];
}

// The process's active patterns: the deployment's plus those of every loaded workflow. maskPii uses
// them when no patterns are passed, so every caller masks with the configured patterns by default.
const activeSources = new Map<string, PiiPattern[]>();

/** Sets the patterns contributed by one source (`env`, `workflow:<name>`); an empty list removes it. */
export function setActivePiiPatterns(source: string, patterns: PiiPattern[]): void {
  if (patterns.length === 0) activeSources.delete(source);
  else activeSources.set(source, patterns);
}

export function activePiiPatterns(): PiiPattern[] {
  return mergePiiPatterns(...activeSources.values());
}

// ---------------------------------------------------------------------------------------------
// Built-in detectors.

const EMAIL =
  /[A-Za-z0-9](?:[A-Za-z0-9._%+'-]{0,63})@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![A-Za-z0-9-])/g;

/** Luhn checksum over a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

// Digit runs with single space or dash separators (a card is written 4111 1111 1111 1111 or 4111-1111-…).
const DIGIT_RUN = /(?<![\dA-Za-z])\d(?:[ -]?\d)*(?![\dA-Za-z])/g;

function findCards(text: string, out: PiiMatch[]): void {
  for (const m of text.matchAll(DIGIT_RUN)) {
    const run = m[0];
    const start = m.index;
    // Groups split at separators; try the whole run, then contiguous group ranges, longest first.
    const starts: number[] = [];
    const ends: number[] = [];
    for (const g of run.matchAll(/\d+/g)) {
      starts.push(g.index);
      ends.push(g.index + g[0].length);
    }
    let found: { s: number; e: number } | undefined;
    for (let len = starts.length; len >= 1 && !found; len--) {
      for (let i = 0; i + len <= starts.length && !found; i++) {
        const s = starts[i] ?? 0;
        const e = ends[i + len - 1] ?? 0;
        const digits = run.slice(s, e).replace(/[ -]/g, '');
        if (digits.length >= 13 && digits.length <= 19 && luhnValid(digits)) found = { s, e };
      }
    }
    if (found) out.push({ kind: 'card', start: start + found.s, end: start + found.e });
  }
}

// ISO 13616 lengths per country (the SWIFT IBAN registry).
const IBAN_LENGTHS: Record<string, number> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BI: 27,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DJ: 27,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FK: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  LY: 25,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MN: 20,
  MR: 27,
  MT: 31,
  MU: 30,
  NI: 28,
  NL: 18,
  NO: 15,
  OM: 23,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  RU: 33,
  SA: 24,
  SC: 31,
  SD: 18,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  SO: 23,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
};

/** ISO 13616 check: known country length (15–34 otherwise) and mod-97 of the rearranged number is 1. */
export function ibanValid(compact: string): boolean {
  const iban = compact.toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const expected = IBAN_LENGTHS[iban.slice(0, 2)];
  if (expected !== undefined && iban.length !== expected) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? String(code - 55) : ch;
    for (const d of value) rest = (rest * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return rest === 1;
}

const IBAN_CANDIDATE = /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}/g;

function findIbans(text: string, out: PiiMatch[]): void {
  for (const m of text.matchAll(IBAN_CANDIDATE)) {
    const cand = m[0];
    // The candidate may run into following words ("… 3000 AND"): take the longest valid prefix that ends
    // at a word boundary.
    for (let end = cand.length; end >= 15; end--) {
      const next = text[m.index + end];
      if (next !== undefined && /[A-Za-z0-9]/.test(next)) continue;
      if (cand[end - 1] === ' ') continue;
      if (ibanValid(cand.slice(0, end).replace(/ /g, ''))) {
        out.push({ kind: 'iban', start: m.index, end: m.index + end });
        break;
      }
    }
  }
}

/** Regions whose national formats (without +country code) are recognised; see docs/pii.md. */
export const PHONE_NATIONAL_REGIONS: readonly CountryCode[] = [
  'US',
  'GB',
  'DE',
  'FR',
  'NL',
  'BE',
  'ES',
  'IT',
  'CH',
  'AT',
  'IE',
  'SE',
  'PL',
  'AU',
];

const PHONE_INTERNATIONAL = /(?<![\dA-Za-z+])(?:\+|00)[1-9]\d{0,3}(?:[ .-]?\(?\d{1,5}\)?){1,6}(?![\dA-Za-z])/g;
// National formats: (415) 555-2671, 415-555-2671, 415.555.2671, 020 7946 0958, 06 12 34 56 78, 030/1234567.
const PHONE_NATIONAL =
  /(?<![\dA-Za-z.,/+-])(?:\(\d{2,5}\) ?\d{2,4}(?:[ .-]\d{2,4}){0,3}|0\d{1,4}(?:[ ./-]\d{2,8}){1,4}|[2-9]\d{2}([-. ])\d{3}\1\d{4})(?![\dA-Za-z]|[.,/-]\d)/g;
const DATE_LIKE = /^(?:\d{4}[-./ ]\d{1,2}[-./ ]\d{1,2}|\d{1,2}[-./ ]\d{1,2}[-./ ]\d{2,4})$/;

function findPhones(text: string, out: PiiMatch[]): void {
  for (const m of text.matchAll(PHONE_INTERNATIONAL)) {
    const cand = m[0];
    const digits = cand.replace(/\D/g, '');
    const e164 = `+${cand.startsWith('00') ? digits.slice(2) : digits}`;
    if (e164.length < 9 || e164.length > 16) continue;
    if (parsePhoneNumberFromString(e164)?.isValid())
      out.push({ kind: 'phone', start: m.index, end: m.index + cand.length });
  }
  for (const m of text.matchAll(PHONE_NATIONAL)) {
    const cand = m[0];
    if (DATE_LIKE.test(cand)) continue;
    const digits = cand.replace(/\D/g, '');
    if (digits.length < 7 || digits.length > 12) continue;
    if (PHONE_NATIONAL_REGIONS.some((region) => parsePhoneNumberFromString(cand, region)?.isValid())) {
      out.push({ kind: 'phone', start: m.index, end: m.index + cand.length });
    }
  }
}

function findPattern(text: string, pattern: PiiPattern, out: PiiMatch[]): void {
  const regex = new RegExp(
    pattern.regex.source,
    pattern.regex.flags.includes('g') ? pattern.regex.flags : `${pattern.regex.flags}g`,
  );
  for (const m of text.matchAll(regex)) {
    if (m[0].length > 0) out.push({ kind: pattern.name, start: m.index, end: m.index + m[0].length });
  }
}

const UUID = /(?<![\dA-Za-z])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![\dA-Za-z])/gi;

// Which kind wins when spans overlap: the more specific, checksummed detectors first.
const PRIORITY: Record<string, number> = { email: 0, iban: 1, card: 2, phone: 4 };

/**
 * Finds PII in a text: e-mail addresses, phone numbers, payment card numbers (Luhn-checked), IBANs
 * (mod-97 checked), and the given configured patterns. Matches do not overlap and are sorted by start.
 */
export function detectPii(text: string, patterns: PiiPattern[] = activePiiPatterns()): PiiMatch[] {
  if (text.length === 0) return [];
  const found: PiiMatch[] = [];
  for (const m of text.matchAll(EMAIL)) found.push({ kind: 'email', start: m.index, end: m.index + m[0].length });
  findIbans(text, found);
  findCards(text, found);
  findPhones(text, found);
  // Ids are not PII: digits inside a UUID (00000000-0000-4000-8000-000000000003 holds a Luhn-valid
  // 16-digit run) are never a card or a phone number.
  const uuids = [...text.matchAll(UUID)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
  if (uuids.length > 0)
    for (let i = found.length - 1; i >= 0; i--) {
      const m = found[i] as PiiMatch;
      if ((m.kind === 'card' || m.kind === 'phone') && uuids.some((u) => m.start < u.end && u.start < m.end))
        found.splice(i, 1);
    }
  for (const p of patterns) findPattern(text, p, found);
  // Resolve overlaps: higher priority (lower number; custom patterns 3) first, then the longer span.
  found.sort(
    (a, b) =>
      (PRIORITY[a.kind] ?? 3) - (PRIORITY[b.kind] ?? 3) || b.end - b.start - (a.end - a.start) || a.start - b.start,
  );
  const kept: PiiMatch[] = [];
  for (const m of found) if (!kept.some((k) => m.start < k.end && k.start < m.end)) kept.push(m);
  return kept.sort((a, b) => a.start - b.start);
}

/** The token that replaces a detected span: it shows the kind, and for cards the last four digits. */
export function piiMaskToken(kind: PiiKind, original: string): string {
  if (kind === 'card') return `[card …${original.replace(/\D/g, '').slice(-4)}]`;
  return `[${kind}]`;
}

/** Replaces every detected span of one string with its mask token. */
export function maskPiiText(text: string, patterns: PiiPattern[] = activePiiPatterns()): string {
  // Every built-in kind needs a digit or an @; most strings in a response have neither.
  if (patterns.length === 0 && !/[\d@]/.test(text)) return text;
  const matches = detectPii(text, patterns);
  if (matches.length === 0) return text;
  let result = '';
  let at = 0;
  for (const m of matches) {
    result += text.slice(at, m.start) + piiMaskToken(m.kind, text.slice(m.start, m.end));
    at = m.end;
  }
  return result + text.slice(at);
}

export interface MaskPiiOptions {
  /** Patterns besides the built-in detectors; default: the active (configured) patterns. */
  patterns?: PiiPattern[];
  /**
   * Paths left as they are: staff account data and secrets a procedure returns, never item data.
   * Dot-separated keys; `*` stands for any one key or array index (`*.email`, `user.email`, `token`).
   */
  keep?: readonly string[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A deep copy of `value` with every detected span in every string (object keys included) replaced by
 * its mask token. Arrays and plain objects are copied; other objects (Date, Buffer, …) are kept as they are.
 */
export function maskPii<T>(value: T, options: MaskPiiOptions = {}): T {
  const patterns = options.patterns ?? activePiiPatterns();
  const keep = (options.keep ?? []).map((k) => k.split('.'));
  // `alive` holds the keep paths still matching the path walked so far, each with how far it matched.
  const step = (alive: [string[], number][], key: string): [string[], number][] =>
    alive.flatMap(([path, at]) => (path[at] === '*' || path[at] === key ? [[path, at + 1] as [string[], number]] : []));
  const walk = (v: unknown, depth: number, alive: [string[], number][]): unknown => {
    if (alive.some(([path, at]) => at === path.length)) return v;
    if (typeof v === 'string') return maskPiiText(v, patterns);
    if (depth > 200 || v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x, i) => walk(x, depth + 1, step(alive, String(i))));
    if (!isPlainObject(v)) return v;
    const copy: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) copy[maskPiiText(k, patterns)] = walk(x, depth + 1, step(alive, k));
    return copy;
  };
  return walk(
    value,
    0,
    keep.map((path) => [path, 0]),
  ) as T;
}

/** Whether a string holds anything detectPii finds. */
export function containsPii(text: string, patterns: PiiPattern[] = activePiiPatterns()): boolean {
  return detectPii(text, patterns).length > 0;
}

/**
 * Whether a viewer sees unmasked values in responses and exports: never. A user with `pii:read`
 * reveals one field at a time with the audited `pii.unmask` procedure.
 */
export function viewerSeesPii(_user: unknown): false {
  return false;
}

// The text side of the built-in extractor: lines and words, "the value after a phrase", and the
// typed scanners (numbers and amounts, dates, e-mails, tax ids, a field's own regex, enum options
// by keyword and synonym, yes/no cues, lists). Pure, no I/O.

/** A word of a line: lower-cased letters and digits, with its character span in the line. */
export interface Word {
  word: string;
  start: number;
  end: number;
}

/** A document cut into lines, each with its words: what every pattern reads. */
export interface Doc {
  lines: string[];
  words: Word[][];
}

const WORD = /[\p{L}\p{N}]+/gu;

/** Lower-cased words of a string, in order. */
export function wordsOf(s: string): string[] {
  return [...s.toLowerCase().matchAll(WORD)].map((m) => m[0]);
}

/**
 * Cuts a text into lines and words once, so that patterns can be applied to it many times.
 *
 * @example
 * readDoc('Tax ID: 12-3456789').words[0]; // [{ word: 'tax', ... }, { word: 'id', ... }, { word: '12', ... }, ...]
 */
export function readDoc(text: string): Doc {
  const lines = text.split(/\r?\n/);
  return {
    lines,
    words: lines.map((line) =>
      [...line.toLowerCase().matchAll(WORD)].map((m) => ({
        word: m[0],
        start: m.index ?? 0,
        end: (m.index ?? 0) + m[0].length,
      })),
    ),
  };
}

/** What follows a phrase: the rest of its line (separators skipped), and the lines after it. */
export interface AfterPhrase {
  rest: string;
  /** The line the rest is on. */
  line: number;
  /** The phrase ended its line, so the rest is the next non-empty line. */
  nextLine: boolean;
}

// What sits between a label and its value: colons, dashes, dots, closing brackets, hashes.
const SEPARATORS = /^[\s:：#=\-–—.)\]>|]*/u;

/**
 * Every place where `phrase` (lower-case words) occurs as consecutive words of one line, with the
 * rest of that line after it (separators such as `:`, `-`, `#`, `)` skipped). A label alone on its
 * line has its value on the next non-empty line, which is then the rest.
 *
 * @example
 * afterPhrase(readDoc('Tax ID (EIN): 12-3456789'), ['tax', 'id', 'ein']); // [{ rest: '12-3456789', line: 0 }]
 */
export function afterPhrase(doc: Doc, phrase: readonly string[]): AfterPhrase[] {
  const out: AfterPhrase[] = [];
  if (phrase.length === 0) return out;
  doc.words.forEach((words, lineNo) => {
    for (let i = 0; i + phrase.length <= words.length; i++) {
      if (!phrase.every((p, j) => words[i + j]?.word === p)) continue;
      const end = (words[i + phrase.length - 1] as Word).end;
      const line = doc.lines[lineNo] as string;
      const rest = line.slice(end).replace(SEPARATORS, '').trim();
      if (rest !== '') {
        out.push({ rest, line: lineNo, nextLine: false });
        continue;
      }
      const next = nextNonEmptyLine(doc, lineNo);
      if (next !== undefined) out.push({ rest: (doc.lines[next] as string).trim(), line: next, nextLine: true });
    }
  });
  return out;
}

function nextNonEmptyLine(doc: Doc, lineNo: number): number | undefined {
  for (let n = lineNo + 1; n < doc.lines.length; n++) if ((doc.lines[n] as string).trim() !== '') return n;
  return undefined;
}

const BULLET = /^\s*(?:[-*•▪◦·]|\d{1,2}[.)]|\(?[a-z][.)])\s+(.+?)\s*$/u;

/** The items of a bulleted or numbered list starting at `line`, up to the first line that is not one. */
export function bulletsFrom(doc: Doc, line: number): string[] {
  const items: string[] = [];
  for (let n = line; n < doc.lines.length; n++) {
    const m = BULLET.exec(doc.lines[n] as string);
    if (!m) break;
    items.push((m[1] as string).replace(/[;,]$/, '').trim());
  }
  return items;
}

/** The text of a bullet line without its marker; the line itself when it is no bullet. */
export function withoutBullet(line: string): string {
  return BULLET.exec(line)?.[1] ?? line;
}

/** The value a free string takes from the rest of a line: all of it (`seg` 0) or its `seg`-th comma-separated part. */
export function segmentOf(rest: string, seg: number): string | undefined {
  const clean = rest.replace(/[\s,;]+$/, '').trim();
  if (seg === 0) return clean === '' ? undefined : clean;
  const part = clean.split(/\s*[,;]\s*/)[seg - 1]?.trim();
  return part ? part : undefined;
}

/** The parts of a list written on one line: `a, b and c`, `a; b`. */
export function splitList(rest: string): string[] {
  return rest
    .replace(/[.;,\s]+$/, '')
    .split(/\s*(?:[;,]|\band\b|\bor\b)\s*/i)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** A typed value found in a string, with where it starts. */
export interface Found {
  value: unknown;
  start: number;
}

/** Finds the values of one type in a string: a scanner of the field's kind. */
export type Scanner = (s: string) => Found[];

function regexScanner(re: RegExp, parse: (m: RegExpExecArray) => unknown = (m) => m[0]): Scanner {
  return (s) => {
    const out: Found[] = [];
    const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
    for (let m = g.exec(s); m; m = g.exec(s)) {
      if (m[0] === '') {
        g.lastIndex++;
        continue;
      }
      const value = parse(m);
      if (value !== undefined) out.push({ value, start: m.index });
    }
    return out;
  };
}

/** E-mail addresses. */
export const scanEmails = regexScanner(/[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/, (m) =>
  m[0].replace(/\.$/, ''),
);

/** US taxpayer ids: an EIN `12-3456789` or an SSN/ITIN `123-45-6789`, as written. */
export const scanTaxIds = regexScanner(/(?<![\d-])(?:\d{2}-\d{7}|\d{3}-\d{2}-\d{4})(?![\d-])/);

/** Phone numbers: 7 to 15 digits with the usual separators. */
export const scanPhones = regexScanner(/(?<![\w-])\+?\(?\d{1,4}\)?(?:[\s.-]?\(?\d{2,4}\)?){2,4}(?![\w-])/, (m) =>
  m[0].replace(/\D/g, '').length >= 7 ? m[0].trim() : undefined,
);

/** Web addresses. */
export const scanUrls = regexScanner(/\bhttps?:\/\/[^\s<>"]+|\bwww\.[^\s<>"]+/i, (m) => m[0].replace(/[.,;)]$/, ''));

/** US ZIP codes (and ZIP+4). */
export const scanZips = regexScanner(/(?<![\d-])\d{5}(?:-\d{4})?(?![\d-])/);

/**
 * Numbers and amounts: `12,500.00`, `$ 12 500`, `USD 1,200`, `-3.5`, `12.5k`, `1.2 million`;
 * thousands separators are commas (or spaces between groups of three), the decimal point a dot.
 * Digits inside ids (`12-3456789`, dates, codes like `A12`) are not numbers.
 */
export const scanNumbers = regexScanner(
  /(?<![\w.,/-])(-|−)?(?:[$€£]\s?)?(\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+(?![\d,])|\d+)(\.\d+)?(?:\s?(k|m|million|thousand)\b)?(?![\w/-]|[.,]\d)/i,
  (m) => {
    const digits = (m[2] as string).replace(/[, ]/g, '');
    let n = Number(`${digits}${m[3] ?? ''}`);
    const unit = m[4]?.toLowerCase();
    if (unit === 'k' || unit === 'thousand') n *= 1000;
    if (unit === 'm' || unit === 'million') n *= 1_000_000;
    if (m[1]) n = -n;
    return Number.isFinite(n) ? n : undefined;
  },
);

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function isoDate(y: number, m: number, d: number): string | undefined {
  if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1000 || y > 9999) return undefined;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCMonth() !== m - 1) return undefined;
  return date.toISOString().slice(0, 10);
}

function monthOf(name: string): number {
  return MONTHS.indexOf(name.slice(0, 3).toLowerCase()) + 1;
}

/**
 * Dates, as ISO `YYYY-MM-DD`: `2026-03-01`, `03/01/2026` (US month first), `01.03.2026` (day
 * first), `March 1, 2026`, `1 Mar 2026`.
 */
export const scanDates: Scanner = (s) => {
  const found: Found[] = [];
  // Each form: its regex, and which groups are year, month and day (a month may be a name).
  const forms: [RegExp, number, number, number][] = [
    [/\b(\d{4})-(\d{2})-(\d{2})\b/g, 1, 2, 3],
    [/\b(\d{1,2})\/(\d{1,2})\/(\d{4})\b/g, 3, 1, 2],
    [/\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b/g, 3, 2, 1],
    [/\b([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})\b/g, 3, 1, 2],
    [/\b(\d{1,2}) ([A-Za-z]{3,9})\.? (\d{4})\b/g, 3, 2, 1],
  ];
  for (const [re, y, m, d] of forms) {
    for (const match of s.matchAll(re)) {
      const month = match[m] ?? '';
      const value = isoDate(Number(match[y]), /^\d+$/.test(month) ? Number(month) : monthOf(month), Number(match[d]));
      if (value) found.push({ value, start: match.index });
    }
  }
  return found.sort((a, b) => a.start - b.start);
};

/** A scanner for a field's own `.regex()`, searched anywhere (its anchors dropped). */
export function patternScanner(pattern: string): Scanner | undefined {
  const source = pattern.replace(/^\^/, '').replace(/\$$/, '');
  try {
    return regexScanner(new RegExp(source, 'u'));
  } catch {
    return undefined;
  }
}

// Words an enum option may be written as, beyond its own words.
const SYNONYMS: Record<string, string[]> = {
  llc: ['limited liability company', 'l.l.c.'],
  corp: ['corporation'],
  corporation: ['corp', 'inc', 'incorporated'],
  inc: ['incorporated'],
  sole: ['sole proprietor', 'sole proprietorship', 'individual'],
  proprietor: ['proprietorship'],
  partnership: ['partners', 'lp', 'llp'],
  yes: ['true', 'y'],
  no: ['false', 'n'],
};

/**
 * The ways an enum option is written: its own words (`c_corp` as `c corp`, `w9` as `w-9` or `w 9`),
 * and a few common synonyms (`llc` also as `limited liability company`).
 */
export function optionSpellings(option: string): string[][] {
  const words = option
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([A-Za-z])(\d)/g, '$1 $2')
    .replace(/(\d)([A-Za-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');
  const spellings = [words];
  const joined = words.join(' ');
  for (const [key, alternatives] of Object.entries(SYNONYMS)) {
    if (joined === key || (words.length > 1 && words.includes(key) && !alternatives.some((a) => a.includes(' ')))) {
      for (const alt of alternatives) {
        const replaced = joined === key ? alt : words.map((w) => (w === key ? alt : w)).join(' ');
        spellings.push(wordsOf(replaced));
      }
    }
  }
  if (words.length > 1) spellings.push([words.join('')]);
  return spellings.filter((s) => s.length > 0);
}

/** Finds the options of an enum mentioned in a string, longest spelling first where they overlap. */
export function optionScanner(options: readonly string[]): Scanner {
  const spellings = options.flatMap((o) => optionSpellings(o).map((words) => ({ option: o, words })));
  spellings.sort((a, b) => b.words.length - a.words.length);
  return (s) => {
    const words = [...s.toLowerCase().matchAll(WORD)];
    const taken = new Set<number>();
    const found: Found[] = [];
    for (const { option, words: w } of spellings) {
      for (let i = 0; i + w.length <= words.length; i++) {
        if (w.some((x, j) => taken.has(i + j) || words[i + j]?.[0] !== x)) continue;
        for (let j = 0; j < w.length; j++) taken.add(i + j);
        found.push({ value: option, start: words[i]?.index ?? 0 });
      }
    }
    return found.sort((a, b) => a.start - b.start);
  };
}

/** `yes`/`no` and their kin at the start of a string: `true`, `x`, `[x]`, `☑`, `✓`; `false`, `[ ]`, `☐`, `none`. */
export const scanBooleans: Scanner = (s) => {
  const t = s.trim().toLowerCase();
  if (/^(?:yes|y|true|x|\[x\]|☑|☒|✓|✔)(?![\p{L}\p{N}])/u.test(t)) return [{ value: true, start: 0 }];
  if (/^(?:no|n|false|\[ \]|☐|none|not applicable|n\/a)(?![\p{L}\p{N}])/u.test(t)) return [{ value: false, start: 0 }];
  return [];
};

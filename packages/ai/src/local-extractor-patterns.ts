// The patterns of the built-in extractor: how a field's value is read from a document (after a
// phrase, or as the only / first / last value of the field's type), the rules that propose them
// from the field's name and description, and the mining that proposes them from a reviewer's
// corrected value. Pure, no I/O.
import { type FieldSpec, sameFieldValue } from '@signoff/core';
import {
  type AfterPhrase,
  afterPhrase,
  bulletsFrom,
  type Doc,
  optionScanner,
  patternScanner,
  type Scanner,
  scanBooleans,
  scanDates,
  scanEmails,
  scanNumbers,
  scanPhones,
  scanTaxIds,
  scanUrls,
  scanZips,
  segmentOf,
  splitList,
  withoutBullet,
  wordsOf,
} from './local-extractor-text';

/**
 * How a value is read: `after` a phrase (the rest of its line, or for a free string its `seg`-th
 * comma-separated part), `scan` for the field's type over the whole text (`only`: exactly one
 * distinct value there; `first`/`last`: of several), or `none` (no pattern found anything).
 */
export type Pattern =
  | { kind: 'after'; phrase: string[]; seg: number }
  | { kind: 'scan'; which: 'only' | 'first' | 'last' }
  | { kind: 'none' };

/** A Beta(a, b) belief about a pattern's accuracy before any label: its prior. */
export interface Beta {
  a: number;
  b: number;
}

/** How one leaf field's values are read, checked and named. */
export interface FieldReader {
  spec: FieldSpec;
  /** What the scanner looks for, in words (`tax id`, `e-mail`, `number`, `option`), or `text`. */
  kind: string;
  /** Values of the field's type anywhere in a string; absent for free strings and booleans. */
  scan?: Scanner;
  /** A free string (no type to scan for): read as the rest of a line or a part of it. */
  free: boolean;
  /** The value when nothing is found: null for an optional field, else the type's empty value. */
  fallback: unknown;
  /** Words of the field's own name (`taxId`: tax, id) and of its parents and description. */
  nameWords: Set<string>;
  otherWords: Set<string>;
}

const STOP = new Set(['the', 'of', 'a', 'an', 'and', 'or', 'to', 'in', 'for', 'is', 'on', 'at', 'by', 'with', 'as']);
const stem = (w: string) => (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w);

function identifierWords(name: string): string[] {
  return wordsOf(name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/_/g, ' '))
    .filter((w) => !STOP.has(w))
    .map(stem);
}

function textKind(spec: FieldSpec, words: string): { kind: string; scan?: Scanner } {
  if (spec.pattern) {
    const scan = patternScanner(spec.pattern);
    if (scan) return { kind: 'pattern', scan };
  }
  if (/\be ?mail\b/.test(words)) return { kind: 'e-mail', scan: scanEmails };
  if (/\b(?:tax ?id|tin|ein|ssn|itin|taxpayer|employer identification)\b/.test(words))
    return { kind: 'tax id', scan: scanTaxIds };
  if (/\b(?:date|dob|birthday)\b/.test(words)) return { kind: 'date', scan: scanDates };
  if (/\b(?:phone|tel|telephone|fax|mobile)\b/.test(words)) return { kind: 'phone', scan: scanPhones };
  if (/\b(?:url|website|web site|homepage)\b/.test(words)) return { kind: 'url', scan: scanUrls };
  if (/\b(?:zip|zipcode|postal|postcode)\b/.test(words)) return { kind: 'zip', scan: scanZips };
  return { kind: 'text' };
}

/**
 * How to read a leaf field, from its spec: a typed scanner chosen by its type, its `.regex()`, or
 * the words of its name and description (`email`, `taxId`/`ein`/`tin`, `date`, `phone`, `url`,
 * `zip`/`postal`); a free string otherwise.
 *
 * @example
 * readerFor({ path: 'vendor.taxId', name: 'taxId', type: 'string', optional: false }).kind; // 'tax id'
 */
export function readerFor(spec: FieldSpec): FieldReader {
  const parents = spec.path.split('.').slice(0, -1);
  const nameWords = new Set(identifierWords(spec.name));
  const otherWords = new Set([
    ...parents.flatMap(identifierWords),
    ...wordsOf(spec.description ?? '')
      .filter((w) => !STOP.has(w))
      .map(stem),
  ]);
  const allWords = [...identifierWords(spec.path.replace(/\./g, ' ')), ...wordsOf(spec.description ?? '')].join(' ');
  const base = { spec, nameWords, otherWords };
  switch (spec.type) {
    case 'number':
    case 'integer':
      return { ...base, kind: spec.type, scan: scanNumbers, free: false, fallback: spec.optional ? null : 0 };
    case 'boolean':
      return { ...base, kind: 'yes/no', free: false, fallback: spec.optional ? null : false };
    case 'enum':
      return {
        ...base,
        kind: 'option',
        scan: optionScanner(spec.options ?? []),
        free: false,
        fallback: spec.optional ? null : (spec.options?.[0] ?? null),
      };
    case 'array':
      return { ...base, kind: 'list', free: false, fallback: spec.optional ? null : [] };
    default: {
      const { kind, scan } = textKind(spec, allWords);
      return { ...base, kind, ...(scan ? { scan } : {}), free: !scan, fallback: spec.optional ? null : '' };
    }
  }
}

/** Whether a value fits the field's spec: its type, enum, bounds, length and `.regex()`. */
export function fitsSpec(spec: FieldSpec, value: unknown): boolean {
  switch (spec.type) {
    case 'number':
    case 'integer':
      if (typeof value !== 'number' || !Number.isFinite(value)) return false;
      if (spec.type === 'integer' && !Number.isInteger(value)) return false;
      return (
        !(spec.minimum !== undefined && value < spec.minimum) && !(spec.maximum !== undefined && value > spec.maximum)
      );
    case 'boolean':
      return typeof value === 'boolean';
    case 'enum':
      return typeof value === 'string' && (spec.options ?? []).includes(value);
    case 'array':
      if (!Array.isArray(value)) return false;
      if (spec.minLength !== undefined && value.length < spec.minLength) return false;
      if (spec.maxLength !== undefined && value.length > spec.maxLength) return false;
      return spec.items ? value.every((v) => fitsSpec(spec.items as FieldSpec, v)) : true;
    case 'string':
    case 'text': {
      if (typeof value !== 'string') return false;
      if (spec.minLength !== undefined && value.length < spec.minLength) return false;
      if (spec.maxLength !== undefined && value.length > spec.maxLength) return false;
      if (spec.pattern) {
        try {
          if (!new RegExp(spec.pattern, 'u').test(value)) return false;
        } catch {
          return true;
        }
      }
      return true;
    }
    default:
      return false;
  }
}

/** A list's items from the rest of a line (`a, b and c`) or the bullets that follow a heading. */
function readList(reader: FieldReader, doc: Doc, at: AfterPhrase): unknown[] | undefined {
  const raw = at.nextLine && bulletsFrom(doc, at.line).length > 0 ? bulletsFrom(doc, at.line) : splitList(at.rest);
  const item = reader.spec.items;
  if (!item || item.type === 'object') return undefined;
  const itemReader = readerFor({ ...item, path: reader.spec.path, name: reader.spec.name });
  const values: unknown[] = [];
  for (const text of raw) {
    const v = itemReader.scan ? itemReader.scan(text)[0]?.value : item.type === 'boolean' ? undefined : text;
    if (v !== undefined && fitsSpec(item, v)) values.push(v);
  }
  return values.length > 0 ? values : undefined;
}

/** The value a field reads from what follows a phrase; undefined when there is none of its type. */
function readAt(reader: FieldReader, doc: Doc, at: AfterPhrase, seg: number): unknown {
  if (reader.spec.type === 'array') return seg === 0 ? readList(reader, doc, at) : undefined;
  if (reader.spec.type === 'boolean') return seg === 0 ? scanBooleans(at.rest)[0]?.value : undefined;
  if (reader.scan) {
    if (seg !== 0) return undefined;
    return reader.scan(at.rest).find((f) => fitsSpec(reader.spec, f.value))?.value;
  }
  return segmentOf(at.rest, seg);
}

/** Distinct values of the field's type in the document, in order of first appearance. */
function scannedValues(reader: FieldReader, doc: Doc): unknown[] {
  const out: unknown[] = [];
  if (!reader.scan) return out;
  for (const line of doc.lines) {
    for (const f of reader.scan(line)) {
      if (fitsSpec(reader.spec, f.value) && !out.some((v) => sameFieldValue(v, f.value))) out.push(f.value);
    }
  }
  return out;
}

/**
 * What a pattern reads from a document for a field: a value that fits the field's spec, or
 * undefined when the pattern does not fire (`none` always fires, with the field's fallback).
 *
 * @example
 * applyPattern(reader, readDoc('Tax ID: 12-3456789'), { kind: 'after', phrase: ['tax', 'id'], seg: 0 }); // '12-3456789'
 */
export function applyPattern(reader: FieldReader, doc: Doc, pattern: Pattern): unknown {
  if (pattern.kind === 'none') return reader.fallback;
  if (pattern.kind === 'scan') {
    const values = scannedValues(reader, doc);
    if (pattern.which === 'only') return values.length === 1 ? values[0] : undefined;
    if (values.length < 2) return undefined;
    return pattern.which === 'first' ? values[0] : values[values.length - 1];
  }
  for (const at of afterPhrase(doc, pattern.phrase)) {
    const v = readAt(reader, doc, at, pattern.seg);
    if (v !== undefined && fitsSpec(reader.spec, v)) return v;
  }
  return undefined;
}

/** A pattern in words: its id in the extractor's statistics, and the note of a field's confidence. */
export function patternId(pattern: Pattern, reader: FieldReader): string {
  if (pattern.kind === 'none') return 'no value found';
  if (pattern.kind === 'scan') {
    const which = { only: 'the only', first: 'the first', last: 'the last' }[pattern.which];
    return `${which} ${reader.kind} in the text${pattern.which === 'only' ? '' : ' (of several)'}`;
  }
  return `after "${pattern.phrase.join(' ')}"${pattern.seg > 0 ? `, part ${pattern.seg}` : ''}`;
}

/** How a phrase relates to a field: words of its name it shares, and of its parents or description. */
function overlap(reader: FieldReader, phrase: readonly string[]): { name: number; other: number } {
  const words = phrase.map(stem);
  return {
    name: [...reader.nameWords].filter((w) => words.includes(w)).length,
    other: [...reader.otherWords].filter((w) => words.includes(w)).length,
  };
}

/**
 * A pattern's prior accuracy (two pseudo-labels' worth): a phrase sharing words with the field's
 * name 0.55 to 0.85 by the share of its name words, with its parents' or description's 0.4, any
 * other 0.3; parts of a line (`seg` > 0) 0.7 of that. The only value of the type in the text 0.65,
 * the first of several 0.4, the last 0.25; nothing found 0.3. Guesses, only until labels measure.
 */
export function priorOf(reader: FieldReader, pattern: Pattern): Beta {
  let mean: number;
  if (pattern.kind === 'none') mean = 0.3;
  else if (pattern.kind === 'scan') mean = { only: 0.65, first: 0.4, last: 0.25 }[pattern.which];
  else {
    const o = overlap(reader, pattern.phrase);
    mean = o.name > 0 ? 0.55 + 0.3 * Math.min(1, o.name / Math.max(1, reader.nameWords.size)) : o.other > 0 ? 0.4 : 0.3;
    if (pattern.seg > 0) mean *= 0.7;
  }
  return { a: 2 * mean, b: 2 * (1 - mean) };
}

const LABELLED = /^\s*(?:[-*•]\s+)?([^:：\t]{1,60}?)\s*(?:[:：]|\t| {2,}(?=\S))/u;

/**
 * The patterns the rules propose for a field in a document: every line label (`Label: value`,
 * `Label<tab>value`, a label alone on its line ending in `:`) that shares a word with the field's
 * name, parents or description, with its comma-separated parts for a free string; and for a typed
 * field the only / first / last value of its type.
 */
export function rulePatterns(reader: FieldReader, doc: Doc): Pattern[] {
  const out: Pattern[] = [];
  const seen = new Set<string>();
  const add = (p: Pattern) => {
    const id = patternId(p, reader);
    if (!seen.has(id)) {
      seen.add(id);
      out.push(p);
    }
  };
  for (const line of doc.lines) {
    const m = LABELLED.exec(line);
    if (!m) continue;
    const phrase = wordsOf(m[1] as string);
    if (phrase.length === 0 || phrase.length > 6) continue;
    const o = overlap(reader, phrase);
    if (o.name === 0 && o.other === 0) continue;
    add({ kind: 'after', phrase, seg: 0 });
    if (reader.free) {
      const rest = line.slice(m[0].length);
      const parts = rest.split(/[,;]/).length;
      for (let seg = 1; seg <= Math.min(parts, 6) && parts > 1; seg++) add({ kind: 'after', phrase, seg });
    }
  }
  if (reader.scan) for (const which of ['only', 'first', 'last'] as const) add({ kind: 'scan', which });
  return out;
}

/** Where a value occurs in a document: line and character, as the field's reader finds it. */
function occurrences(reader: FieldReader, doc: Doc, value: unknown): { line: number; start: number }[] {
  const out: { line: number; start: number }[] = [];
  const target = Array.isArray(value) ? value[0] : value;
  if (target === undefined || target === null) return out;
  const itemSpec = Array.isArray(value) ? reader.spec.items : reader.spec;
  if (!itemSpec) return out;
  const scan =
    Array.isArray(value) || reader.spec.type === 'boolean'
      ? reader.spec.type === 'boolean'
        ? undefined
        : readerFor({ ...itemSpec, path: reader.spec.path, name: reader.spec.name }).scan
      : reader.scan;
  doc.lines.forEach((line, n) => {
    if (reader.spec.type === 'boolean') {
      for (const w of doc.words[n] ?? [])
        if (sameFieldValue(scanBooleans(line.slice(w.start))[0]?.value, target)) out.push({ line: n, start: w.start });
      return;
    }
    if (scan) {
      for (const f of scan(line)) if (sameFieldValue(f.value, target)) out.push({ line: n, start: f.start });
      return;
    }
    if (typeof target !== 'string' || target === '') return;
    for (let i = line.indexOf(target); i >= 0; i = line.indexOf(target, i + 1)) out.push({ line: n, start: i });
  });
  return out;
}

/**
 * The `after` patterns a corrected value teaches: for each place the value occurs, the one to
 * three words just before it (or at the end of the line above, when it starts its line), and its
 * line's label, each kept only if applying it to this very document reads exactly the value (for a
 * free string, as the whole rest of the line or one of its comma-separated parts).
 *
 * @example
 * minePatterns(reader, readDoc('Fed. reg. no. 12-3456789'), '12-3456789');
 * // [{ kind: 'after', phrase: ['no'], seg: 0 }, { ..., phrase: ['reg', 'no'] }, { ..., phrase: ['fed', 'reg', 'no'] }]
 */
export function minePatterns(reader: FieldReader, doc: Doc, value: unknown): Pattern[] {
  const phrases: string[][] = [];
  for (const { line, start } of occurrences(reader, doc, value)) {
    const text = doc.lines[line] as string;
    const body = withoutBullet(text);
    const bodyStart = Math.max(0, text.indexOf(body));
    let before = (doc.words[line] ?? []).filter((w) => w.end <= start && w.start >= bodyStart).map((w) => w.word);
    // A value that starts its line (or its bullet) is labelled by the line above.
    if (before.length === 0) {
      for (let n = line - 1; n >= 0; n--) {
        const above = doc.lines[n] as string;
        if (above.trim() === '' || withoutBullet(above) !== above) continue;
        before = (doc.words[n] ?? []).map((w) => w.word);
        break;
      }
    }
    for (let k = 1; k <= Math.min(3, before.length); k++) phrases.push(before.slice(before.length - k));
    const label = LABELLED.exec(text);
    if (label && label[0].length <= start) phrases.push(wordsOf(label[1] as string));
  }
  const out: Pattern[] = [];
  const seen = new Set<string>();
  for (const phrase of phrases) {
    if (phrase.length === 0 || phrase.every((w) => /^\d+$/.test(w))) continue;
    for (let seg = 0; seg <= (reader.free ? 6 : 0); seg++) {
      const p: Pattern = { kind: 'after', phrase, seg };
      const id = patternId(p, reader);
      if (seen.has(id)) break;
      if (sameFieldValue(applyPattern(reader, doc, p), value)) {
        seen.add(id);
        out.push(p);
        break;
      }
    }
  }
  return out;
}

import { logSumExp } from './log-odds';

/** One generated token with its log probability, as in a chat completion's `logprobs.content`. */
export interface TokenLogprob {
  token: string;
  /** UTF-8 bytes of the token; a token can hold part of a multi-byte character. */
  bytes: number[] | null;
  logprob: number;
  top_logprobs: ReadonlyArray<{ token: string; bytes: number[] | null; logprob: number }>;
}

export interface LabelConfidence {
  /** The label's share of the probability seen on the allowed labels, 0..1: logistic of `score`. */
  confidence: number;
  /**
   * ln(jointProbability) - ln(sum of the competitors' probabilities): the label's log-odds against
   * the competing labels, unbounded. `+Infinity` when no competitor was seen.
   */
  score: number;
  /**
   * exp(sum of the logprobs of the label's tokens, the one that closes it included): the probability
   * of spelling exactly this label, given the JSON before it.
   */
  jointProbability: number;
  /** The tokens that spell the label value and close it (they may carry a quote or a comma too). */
  labelTokens: string[];
  /**
   * Alternatives, at any of the label's tokens, that lead to another allowed label: `position` is the
   * index in `labelTokens`, `probability` the probability of the chosen tokens before it times its
   * own, `labels` the other labels it can lead to. `undetermined`: it stops before the label's first
   * character (a bare opening quote, a space), so it may lead to any label; counted against this one.
   */
  competitors: { token: string; position: number; probability: number; labels: string[]; undetermined?: true }[];
}

/**
 * The confidence of a structured answer's label, from the token log probabilities, counting the
 * whole probability of each allowed label that the top alternatives show, also where labels share
 * their first tokens (`refund` / `refund_partial`):
 *
 * 1. Find the bytes of the `"label"` value in the JSON content and the tokens that overlap them or
 *    its closing quote (token offsets come from the tokens' bytes, so multi-byte characters split
 *    across tokens and tokens that also carry quotes are handled).
 * 2. The label's joint probability is exp(sum of those tokens' logprobs): the probability of spelling
 *    exactly this label and closing it, given the JSON before it.
 * 3. At each of those tokens, every `top_logprobs` alternative is placed after the chosen tokens
 *    before it. One that continues into another allowed label, or ends the chosen one early as
 *    another label (`"` after `refund` when the answer was `refund_partial`), carries
 *    P(chosen tokens before it) x P(alternative) of competing mass. At the first token the
 *    alternative may use another layout of the same JSON (`"oth` for ` "ref`: JSON allows any
 *    whitespace); one that stops before the label's first character (a bare `"`, a space) may lead
 *    to any label and counts against the chosen one, as does one that could still become the chosen
 *    label or another (better a needless review than a wrong auto-accept). Alternatives that lead to
 *    no allowed label are impossible under the strict schema and ignored, as are alternative
 *    spellings of the chosen label itself (not credited to it: conservative).
 * 4. `confidence = joint / (joint + competitors)` and `score = ln joint - ln competitors`, computed in
 *    log space.
 *
 * Only the top alternatives are visible, so rarer competitors are missed, and escaped spellings of a
 * label (`\u00e9` for `é`) are not recognised.
 *
 * Returns `undefined` when the log probabilities do not spell the content or the label cannot be
 * found in it; the caller then falls back to another method.
 *
 * @example
 * const c = labelConfidenceFromLogprobs(content, choice.logprobs.content, 'refund', ['refund', 'other']);
 * c?.confidence; // e.g. 0.93
 */
export function labelConfidenceFromLogprobs(
  content: string,
  tokens: readonly TokenLogprob[],
  label: string,
  labels: readonly string[],
): LabelConfidence | undefined {
  const spans = tokenSpans(content, tokens);
  if (!spans) return undefined;
  const found = findLabelValue(content, label);
  if (!found) return undefined;
  return enumValueConfidence(content, spans, found, label, labels);
}

/** One token and the bytes of the content it spells, `[start, end)`. */
export interface TokenSpan {
  start: number;
  end: number;
  token: TokenLogprob;
}

/**
 * Where each token sits in the content's UTF-8 bytes; `undefined` when the tokens do not spell
 * exactly the content (log probabilities of some other text, a proxy that rewrote it).
 */
export function tokenSpans(content: string, tokens: readonly TokenLogprob[]): TokenSpan[] | undefined {
  const contentBytes = Buffer.from(content, 'utf8');
  const spans: TokenSpan[] = [];
  let offset = 0;
  for (const token of tokens) {
    const length = tokenBytes(token).length;
    spans.push({ start: offset, end: offset + length, token });
    offset += length;
  }
  if (offset !== contentBytes.length || !Buffer.concat(spans.map((s) => tokenBytes(s.token))).equals(contentBytes)) {
    return undefined;
  }
  return spans;
}

/**
 * The confidence of one string value among allowed ones (steps 2-4 of
 * `labelConfidenceFromLogprobs`), where `found` gives character offsets in `content`: the key
 * (`keyStart`, `keyEnd`: its quoted name) and the raw value (`start` after the opening quote,
 * `end` at the closing quote). `undefined` when no token spells the value.
 */
export function enumValueConfidence(
  content: string,
  spans: readonly TokenSpan[],
  found: { keyStart: number; keyEnd: number; start: number; end: number },
  label: string,
  labels: readonly string[],
): LabelConfidence | undefined {
  const contentBytes = Buffer.from(content, 'utf8');
  const bytesAt = (chars: number) => Buffer.byteLength(content.slice(0, chars), 'utf8');
  const keyStart = bytesAt(found.keyStart);
  const keyEnd = bytesAt(found.keyEnd);
  const valueStart = bytesAt(found.start);
  const closingQuote = bytesAt(found.end);
  const labelSpans = spans.filter((s) => s.start <= closingQuote && s.end > valueStart);
  const first = labelSpans[0];
  if (!first) return undefined;

  const encoded = labels.map((l) => ({ label: l, bytes: encodedValue(l) }));
  const others = labels.filter((l) => l !== label);
  const anchor = Math.min(first.start, keyStart);
  const keyLiteral = contentBytes.subarray(anchor, keyEnd);
  const competitors: LabelConfidence['competitors'] = [];
  const competingLogs: number[] = [];
  let logPrefix = 0;
  labelSpans.forEach((span, position) => {
    const chosen = tokenBytes(span.token);
    for (const alt of span.token.top_logprobs) {
      const altBytes = tokenBytes(alt);
      if (altBytes.equals(chosen)) continue;
      const soFar =
        position === 0
          ? valueSoFar(Buffer.concat([contentBytes.subarray(anchor, first.start), altBytes]), keyLiteral)
          : Buffer.concat([contentBytes.subarray(valueStart, span.start), altBytes]);
      let leadsTo: string[];
      if (soFar === 'undetermined') {
        leadsTo = others;
      } else if (soFar === undefined) {
        continue;
      } else {
        const reachable = encoded.filter((e) => startsWith(e.bytes, soFar) || startsWith(soFar, e.bytes));
        leadsTo = reachable.map((e) => e.label).filter((l) => l !== label);
      }
      if (leadsTo.length === 0) continue;
      const logProbability = logPrefix + alt.logprob;
      competingLogs.push(logProbability);
      competitors.push({
        token: alt.token,
        position,
        probability: Math.exp(logProbability),
        labels: leadsTo,
        ...(soFar === 'undetermined' ? { undetermined: true as const } : {}),
      });
    }
    logPrefix += span.token.logprob;
  });
  // A label of probability 0 against competitors of probability 0 is no evidence either way: the
  // difference would be NaN, so it ranks lowest.
  const difference = logPrefix - logSumExp(competingLogs);
  const score = Number.isNaN(difference) ? Number.NEGATIVE_INFINITY : difference;
  return {
    confidence: score >= 0 ? 1 / (1 + Math.exp(-score)) : Math.exp(score) / (1 + Math.exp(score)),
    score,
    jointProbability: Math.exp(logPrefix),
    labelTokens: labelSpans.map((s) => s.token.token),
    competitors,
  };
}

const QUOTE = 0x22;
const COLON = 0x3a;
const isJsonSpace = (b: number | undefined) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

/**
 * What an alternative first token makes of the label value, read through the JSON grammar after the
 * key (`"label"`, whitespace, `:`, whitespace, `"`): the value's bytes so far, `'undetermined'` when
 * it stops before the value's first byte, `undefined` when it breaks the grammar.
 */
function valueSoFar(written: Buffer, keyLiteral: Buffer): Buffer | 'undetermined' | undefined {
  const shared = Math.min(written.length, keyLiteral.length);
  if (!written.subarray(0, shared).equals(keyLiteral.subarray(0, shared))) return undefined;
  let i = keyLiteral.length;
  const skipSpaces = () => {
    while (i < written.length && isJsonSpace(written[i])) i++;
  };
  for (const expected of [COLON, QUOTE]) {
    skipSpaces();
    if (i >= written.length) return 'undetermined';
    if (written[i] !== expected) return undefined;
    i++;
  }
  return i >= written.length ? 'undetermined' : written.subarray(i);
}

function tokenBytes(t: { token: string; bytes: number[] | null }): Buffer {
  return t.bytes ? Buffer.from(t.bytes) : Buffer.from(t.token, 'utf8');
}

/** A label as it appears in JSON after the opening quote, closing quote included. */
function encodedValue(label: string): Buffer {
  return Buffer.from(JSON.stringify(label).slice(1), 'utf8');
}

function startsWith(b: Buffer, prefix: Buffer): boolean {
  return b.length >= prefix.length && b.subarray(0, prefix.length).equals(prefix);
}

/**
 * Character offsets of the `"label"` key and of its raw string value in JSON text (`end` is the
 * closing quote). A `"label"` inside another string cannot match: there its quotes are escaped.
 */
function findLabelValue(
  content: string,
  label: string,
): { keyStart: number; keyEnd: number; start: number; end: number } | undefined {
  const key = /"label"\s*:\s*"/.exec(content);
  if (!key) return undefined;
  const start = key.index + key[0].length;
  let end = start;
  while (end < content.length && content[end] !== '"') end += content[end] === '\\' ? 2 : 1;
  if (end >= content.length) return undefined;
  try {
    if (JSON.parse(`"${content.slice(start, end)}"`) !== label) return undefined;
  } catch {
    return undefined;
  }
  return { keyStart: key.index, keyEnd: key.index + '"label"'.length, start, end };
}

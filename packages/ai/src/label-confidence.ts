/** One generated token with its log probability, as in a chat completion's `logprobs.content`. */
export interface TokenLogprob {
  token: string;
  /** UTF-8 bytes of the token; a token can hold part of a multi-byte character. */
  bytes: number[] | null;
  logprob: number;
  top_logprobs: ReadonlyArray<{ token: string; bytes: number[] | null; logprob: number }>;
}

export interface LabelConfidence {
  /** The label's probability among the allowed labels, 0..1. */
  confidence: number;
  /** exp(sum of the logprobs of the tokens that spell the label): before renormalisation. */
  jointProbability: number;
  /** The tokens that spell the label value (they may carry a quote or a comma too). */
  labelTokens: string[];
  /** Alternatives at the label's first token that start another allowed label. */
  competitors: { token: string; probability: number; labels: string[] }[];
}

/**
 * The confidence of a structured answer's label, from the token log probabilities:
 *
 * 1. Find the bytes of the `"label"` value in the JSON content and the tokens that overlap them
 *    (token offsets come from the tokens' bytes, so multi-byte characters split across tokens and
 *    tokens that also carry the opening quote are handled).
 * 2. The label's joint probability is exp(sum of those tokens' logprobs): the probability of
 *    spelling exactly this label, given the JSON before it.
 * 3. At the label's first token, every `top_logprobs` alternative that (after the same prefix, such
 *    as an opening quote) starts another allowed label competes with it. An alternative's
 *    probability bounds the probability of the label(s) it starts from above, so
 *    `joint / (joint + sum(alternatives))` is a conservative estimate of the label's probability
 *    among the allowed labels. An alternative that could start the chosen label as well as another
 *    one counts against it: better to send an item to a human than to wave it through.
 *    Alternatives that start no allowed label are impossible under the strict schema and ignored.
 *
 * Returns `undefined` when the log probabilities do not spell the content or the label cannot be
 * found in it; the caller then falls back to the model's verbalised confidence.
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
  const contentBytes = Buffer.from(content, 'utf8');
  const spans: { start: number; end: number; token: TokenLogprob }[] = [];
  let offset = 0;
  for (const token of tokens) {
    const length = tokenBytes(token).length;
    spans.push({ start: offset, end: offset + length, token });
    offset += length;
  }
  if (offset !== contentBytes.length || !Buffer.concat(spans.map((s) => tokenBytes(s.token))).equals(contentBytes)) {
    return undefined;
  }

  const value = findLabelValue(content, label);
  if (!value) return undefined;
  const valueStart = Buffer.byteLength(content.slice(0, value.start), 'utf8');
  const valueEnd = valueStart + Buffer.byteLength(content.slice(value.start, value.end), 'utf8');
  const labelSpans = spans.filter((s) => s.start < valueEnd && s.end > valueStart);
  const first = labelSpans[0];
  if (!first) return undefined;

  const jointProbability = Math.exp(labelSpans.reduce((sum, s) => sum + s.token.logprob, 0));
  const prefix = contentBytes.subarray(first.start, valueStart);
  const chosen = tokenBytes(first.token);
  const others = labels.filter((l) => l !== label).map((l) => ({ label: l, encoded: encodedValue(l) }));
  const competitors: LabelConfidence['competitors'] = [];
  for (const alt of first.token.top_logprobs) {
    const altBytes = tokenBytes(alt);
    if (altBytes.equals(chosen) || !startsWith(altBytes, prefix)) continue;
    const rest = altBytes.subarray(prefix.length);
    if (rest.length === 0) continue;
    const started = others.filter((o) => startsWith(o.encoded, rest) || startsWith(rest, o.encoded));
    if (started.length === 0) continue;
    competitors.push({ token: alt.token, probability: Math.exp(alt.logprob), labels: started.map((o) => o.label) });
  }
  const total = jointProbability + competitors.reduce((sum, c) => sum + c.probability, 0);
  return {
    confidence: total > 0 ? jointProbability / total : 0,
    jointProbability,
    labelTokens: labelSpans.map((s) => s.token.token),
    competitors,
  };
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
 * Character offsets of the raw `"label"` string value in JSON text. A `"label"` inside another
 * string cannot match: there its quotes are escaped.
 */
function findLabelValue(content: string, label: string): { start: number; end: number } | undefined {
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
  return { start, end };
}

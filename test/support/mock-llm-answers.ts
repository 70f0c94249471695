// What the mock model answers, as @dwmkerr/mock-llm rules: three kinds of customer message
// (topics), each with a greedy answer, hand-written log probabilities and a pattern of sampled
// answers, and the builders of completions, refusals and rules that the profiles
// (mock-llm-profiles.ts) combine. See that file's header for what mock-llm can and cannot do.
import type { Rule } from '@dwmkerr/mock-llm/dist/config.js';

export const MOCK_LABELS = ['refund', 'shipping', 'other'] as const;

/** The texts the mock model tells apart, by a keyword in the user message. */
export type Topic = 'refund' | 'parcel' | 'unsure';

interface TopicAnswer {
  keyword: string;
  label: (typeof MOCK_LABELS)[number];
  rationale: string;
  /** The model's own rating in its JSON (verbalised). */
  verbal: number;
  /** Probability of the label's first token, and of the other labels' first tokens beside it. */
  p: number;
  rivals: Partial<Record<(typeof MOCK_LABELS)[number], number>>;
  /** The labels of five answers sampled at temperature > 0, in order (repeated for more). */
  sampled: readonly (typeof MOCK_LABELS)[number][];
}

export const TOPICS: Record<Topic, TopicAnswer> = {
  refund: {
    keyword: 'refund',
    label: 'refund',
    rationale: 'The customer asks for the money back.',
    verbal: 0.95,
    p: 0.98,
    rivals: { shipping: 0.015, other: 0.005 },
    sampled: ['refund', 'refund', 'refund', 'refund', 'refund'],
  },
  parcel: {
    keyword: 'parcel',
    label: 'shipping',
    rationale: 'The customer asks where the parcel is.',
    verbal: 0.9,
    p: 0.97,
    rivals: { refund: 0.02, other: 0.01 },
    sampled: ['shipping', 'shipping', 'shipping', 'shipping', 'shipping'],
  },
  unsure: {
    keyword: 'unsure',
    label: 'other',
    rationale: 'The message names no clear request.',
    verbal: 0.6,
    p: 0.55,
    rivals: { refund: 0.3, shipping: 0.15 },
    // 3 of 5 agree with the greedy answer: self-consistency 0.6, below any sane auto-accept.
    sampled: ['other', 'refund', 'other', 'shipping', 'other'],
  },
};

/** A text of `topic`, numbered so items differ. */
export function topicText(topic: Topic, i: number): string {
  switch (topic) {
    case 'refund':
      return `Please refund order #${i}, it arrived broken.`;
    case 'parcel':
      return `Where is my parcel? Tracking number ${i} shows nothing.`;
    case 'unsure':
      return `I am unsure what to ask about account ${i}.`;
  }
}

/** Sampled requests per configuration that get answers of their own (see the header). */
export const SAMPLED_SEQUENCE = 400;

const CHAT = '/v1/chat/completions';
const USER = 'body.messages[-1].content';
const has = (topic: Topic) => `contains(${USER}, '${TOPICS[topic].keyword}')`;
/** JMESPath: the greedy label of the request's text (`&&`/`||` return their operands). */
export const LABEL_OF = `(${has('refund')} && 'refund') || (${has('parcel')} && 'shipping') || 'other'`;
const TOPIC_LIST: Topic[] = ['refund', 'parcel', 'unsure'];
// Sampled: any temperature but 0, or none (a reasoning model samples at its default of 1).
const SAMPLED = 'body.temperature != `0`';
/** Marks a number the template fills in: `"__NOW__"` becomes `{{timestamp}}` unquoted. */
const NOW = '__NOW__';
/**
 * The request's text, for the ids of answers to the topics' texts (which hold no quote or
 * backslash): `{{timestamp}}` alone repeats within a millisecond, and a repeated completion id is
 * what a cache looks like.
 */
const TEXT = `{{jmes request ${USER}}}`;
/** Marks where a template computes the label inside an already JSON-encoded content. */
const LABEL = '__LABEL__';
const withLabel = (r: Rule, expr: string): Rule => ({
  ...r,
  response: { ...r.response, content: r.response.content.replaceAll(LABEL, `{{jmes request ${expr}}}`) },
});

export interface Style {
  /** `{{timestamp}}`-based ids (`unique`) or one fixed id per text (`cached`). */
  id: (suffix: string) => string;
  fingerprint: string | null;
  /** Extra fields of each choice (vLLM's `stop_reason`). */
  choiceExtra?: Record<string, unknown>;
  /** How the decision JSON is wrapped in the message content. */
  content: (json: string, topic: Topic | undefined) => string;
}

export const bare = (json: string) => json;

function decisionJson(label: string, rationale: string, confidence: number): string {
  return JSON.stringify({ label, rationale, confidence });
}

/** A token as a chat completion's `logprobs.content` lists it. */
function token(text: string, logprob: number, alternatives: [string, number][] = []) {
  const entry = (t: string, lp: number) => ({ token: t, bytes: [...Buffer.from(t, 'utf8')], logprob: lp });
  return {
    ...entry(text, logprob),
    top_logprobs: [entry(text, logprob), ...alternatives.map(([t, p]) => entry(t, p))],
  };
}

/**
 * Log probabilities that spell `content` (bare decision JSON): the text before the label value, the
 * label in `pieces` tokens (its first carrying the probability and the rivals' first pieces beside
 * it), then the rest.
 */
function logprobsFor(content: string, answer: TopicAnswer, pieces: 1 | 2) {
  const start = content.indexOf(`"label":"`) + `"label":"`.length;
  const end = start + answer.label.length;
  const split = (l: string) =>
    pieces === 1 ? [l] : [l.slice(0, Math.ceil(l.length / 2)), l.slice(Math.ceil(l.length / 2))];
  const [first, ...rest] = split(answer.label) as [string, ...string[]];
  const rivals = Object.entries(answer.rivals).map(
    ([l, p]) => [split(l)[0] as string, Math.log(p)] as [string, number],
  );
  return {
    content: [
      token(content.slice(0, start), -1e-6),
      token(first, Math.log(answer.p), rivals),
      ...rest.map((r) => token(r, -1e-4)),
      token(content.slice(end), -1e-6),
    ],
    refusal: null,
  };
}

export function completion(
  style: Style,
  id: string,
  choices: { content: string; logprobs?: unknown }[],
  created: number | typeof NOW = NOW,
) {
  return {
    id: style.id(id),
    object: 'chat.completion',
    created,
    model: '{{jmes request body.model}}',
    system_fingerprint: style.fingerprint,
    choices: choices.map((c, index) => ({
      index,
      message: { role: 'assistant', content: c.content, refusal: null },
      logprobs: c.logprobs ?? null,
      finish_reason: 'stop',
      ...style.choiceExtra,
    })),
    usage: { prompt_tokens: 60, completion_tokens: 20 * choices.length, total_tokens: 60 + 20 * choices.length },
  };
}

export function rule(match: string, body: unknown, options: { status?: number; sequence?: number } = {}): Rule {
  const content = JSON.stringify(body).replaceAll(`"${NOW}"`, '{{timestamp}}');
  return {
    path: CHAT,
    method: 'POST',
    match,
    ...(options.sequence === undefined ? {} : { sequence: options.sequence }),
    response: { status: options.status ?? 200, content },
  };
}

/** An OpenAI-style error body: `{ error: { message, type, param, code } }`. */
export function refusal(match: string, status: number, error: Record<string, unknown>): Rule {
  return rule(match, { error }, { status });
}

export interface Capabilities {
  /** Log probabilities in the greedy answer when asked for (`logprobs: true`), in 1 or 2 tokens per label. */
  logprobs?: 1 | 2;
  /** `n` choices in one answer; otherwise one choice whatever `n` says. */
  n?: boolean;
  /** Answers sampled at temperature > 0 differ by the topic's pattern; otherwise like the greedy one. */
  sampling?: boolean;
  /** Answers a request with `tools` by calling the forced function with the decision as its arguments. */
  toolCalls?: boolean;
}

/** The answers of a server with these capabilities, before its refusals. */
export function answerRules(style: Style, caps: Capabilities): Rule[] {
  const rules: Rule[] = [];
  const greedy = (topic: Topic) => {
    const a = TOPICS[topic];
    return decisionJson(a.label, a.rationale, a.verbal);
  };
  // Any text: the greedy answer of its topic (the label computed by the template).
  rules.push(
    rule(
      '@',
      completion(style, `{{jmes request ${LABEL_OF}}}`, [{ content: style.content(greedy('unsure'), undefined) }]),
    ),
  );
  for (const topic of TOPIC_LIST) {
    const json = greedy(topic);
    const id = `${topic}:${TEXT}`;
    rules.push(rule(has(topic), completion(style, id, [{ content: style.content(json, topic) }])));
    if (caps.logprobs) {
      rules.push(
        rule(
          `${has(topic)} && body.logprobs == \`true\``,
          completion(style, id, [{ content: json, logprobs: logprobsFor(json, TOPICS[topic], caps.logprobs) }]),
        ),
      );
    }
  }
  if (caps.toolCalls) {
    for (const topic of TOPIC_LIST) {
      const json = greedy(topic);
      const call = (logprobs: unknown) => {
        const c = completion(style, `${topic}-tool:${TEXT}`, [{ content: '', logprobs }]);
        const [choice] = c.choices;
        if (choice) {
          Object.assign(choice, { finish_reason: 'tool_calls' });
          Object.assign(choice.message, {
            content: '',
            tool_calls: [
              { id: `chatcmpl-tool-${topic}`, type: 'function', function: { name: 'decision', arguments: json } },
            ],
          });
        }
        return c;
      };
      rules.push(rule(`${has(topic)} && body.tools != \`null\``, call(null)));
      if (caps.logprobs) {
        rules.push(
          rule(
            `${has(topic)} && body.tools != \`null\` && body.logprobs == \`true\``,
            call(logprobsFor(json, TOPICS[topic], caps.logprobs)),
          ),
        );
      }
    }
  }
  if (!caps.sampling) return rules;
  const sampledJson = (topic: Topic, i: number) => {
    const a = TOPICS[topic];
    const label = a.sampled[i % a.sampled.length] as string;
    return decisionJson(label, label === a.label ? a.rationale : `It could be about ${label}.`, a.verbal);
  };
  if (caps.n) {
    // Any text sampled with `n` (a probe of whether samples vary, say): n different answers.
    for (let n = 2; n <= 10; n++) {
      const choices = Array.from({ length: n }, (_, i) => ({
        content: style.content(decisionJson(LABEL, `Sampled answer ${i + 1} of ${n}.`, 0.8), undefined),
      }));
      rules.push(
        withLabel(rule(`${SAMPLED} && body.n == \`${n}\``, completion(style, `any-n${n}`, choices)), LABEL_OF),
      );
    }
    for (const topic of TOPIC_LIST) {
      for (let n = 2; n <= 10; n++) {
        const choices = Array.from({ length: n }, (_, i) => ({ content: style.content(sampledJson(topic, i), topic) }));
        rules.push(
          rule(
            `${has(topic)} && ${SAMPLED} && body.n == \`${n}\``,
            completion(style, `${topic}-n${n}:${TEXT}`, choices),
          ),
        );
      }
    }
  } else {
    // One choice per request: the i-th sampled request of this configuration answers the i-th
    // entry of its topic's pattern. Labels and ids are computed by the template from the text.
    for (let i = 0; i < SAMPLED_SEQUENCE; i++) {
      const k = i % 5;
      const labelAt = TOPIC_LIST.map((t) => `(${has(t)} && '${TOPICS[t].sampled[k]}')`).join(' || ');
      const json = decisionJson(LABEL, `Sampled answer ${i}.`, 0.8);
      const body = completion(style, `s${i}`, [{ content: style.content(json, undefined) }]);
      rules.push(withLabel(rule(SAMPLED, body, { sequence: i }), `${labelAt} || 'other'`));
    }
  }
  return rules;
}

export const openaiStyle: Style = {
  id: (s) => `chatcmpl-{{timestamp}}-${s}`,
  fingerprint: 'fp_44709d6fcb',
  content: bare,
};

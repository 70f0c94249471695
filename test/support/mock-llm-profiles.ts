// Configurations of @dwmkerr/mock-llm (a third-party OpenAI-compatible mock we did not write) that
// make it answer like the servers Signoff meets: OpenAI, an OpenAI reasoning model, vLLM, the
// llama.cpp server, Ollama, a deterministic caching gateway, and models whose answer is not bare
// JSON. mock-llm matches each request against rules (JMESPath on the request; the last matching
// rule wins; a rule may also match only the n-th matching request of its path, `sequence`) and
// answers the winning rule's status and body, a template that can quote the request
// (`{{jmes request <expr>}}`) and the time (`{{timestamp}}`, in ms). Everything below is such rules.
//
// What mock-llm cannot do, and how the profiles stand in for it:
// - No randomness: identical requests get identical answers. Sampled answers of separate requests
//   (servers that ignore or refuse `n`) differ only through `sequence` rules: the i-th sampled
//   request answers the i-th entry of a fixed pattern, with `-s<i>` in its id. Past
//   `SAMPLED_SEQUENCE` sampled requests of one configuration they repeat the greedy answer.
// - No tokenizer and no model: log probabilities are written here, per topic, as a tokenizer might
//   split the answer, and only for the greedy answer of the three topics below.
// - `{{timestamp}}` is in milliseconds: requests in the same millisecond get the same id.
// - No per-parameter validation of its own: every refusal is a rule matching the parameter, with
//   the error body the real server sends (cited at each profile).
import type { Config, Rule } from '@dwmkerr/mock-llm/dist/config.js';

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

export type MockProfile =
  | 'openai'
  | 'openai-reasoning'
  | 'vllm'
  | 'vllm-0.5'
  | 'llamacpp'
  | 'llamacpp-500'
  | 'ollama'
  | 'litellm'
  | 'caching-gateway'
  | 'fenced-json'
  | 'plain-text';

export const MOCK_PROFILES: readonly MockProfile[] = [
  'openai',
  'openai-reasoning',
  'vllm',
  'vllm-0.5',
  'llamacpp',
  'llamacpp-500',
  'ollama',
  'litellm',
  'caching-gateway',
  'fenced-json',
  'plain-text',
];

/** Sampled requests per configuration that get answers of their own (see the header). */
export const SAMPLED_SEQUENCE = 400;

const CHAT = '/v1/chat/completions';
const USER = 'body.messages[-1].content';
const has = (topic: Topic) => `contains(${USER}, '${TOPICS[topic].keyword}')`;
/** JMESPath: the greedy label of the request's text (`&&`/`||` return their operands). */
const LABEL_OF = `(${has('refund')} && 'refund') || (${has('parcel')} && 'shipping') || 'other'`;
const TOPIC_LIST: Topic[] = ['refund', 'parcel', 'unsure'];
// Sampled: any temperature but 0, or none (a reasoning model samples at its default of 1).
const SAMPLED = 'body.temperature != `0`';
/** Marks a number the template fills in: `"__NOW__"` becomes `{{timestamp}}` unquoted. */
const NOW = '__NOW__';

interface Style {
  /** `{{timestamp}}`-based ids (`unique`) or one fixed id per text (`cached`). */
  id: (suffix: string) => string;
  fingerprint: string | null;
  /** Extra fields of each choice (vLLM's `stop_reason`). */
  choiceExtra?: Record<string, unknown>;
  /** How the decision JSON is wrapped in the message content. */
  content: (json: string, topic: Topic | undefined) => string;
}

const bare = (json: string) => json;

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

function completion(
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

function rule(match: string, body: unknown, options: { status?: number; sequence?: number } = {}): Rule {
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
function refusal(match: string, status: number, error: Record<string, unknown>): Rule {
  return rule(match, { error }, { status });
}

interface Capabilities {
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
function answerRules(style: Style, caps: Capabilities): Rule[] {
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
    rules.push(rule(has(topic), completion(style, topic, [{ content: style.content(json, topic) }])));
    if (caps.logprobs) {
      rules.push(
        rule(
          `${has(topic)} && body.logprobs == \`true\``,
          completion(style, topic, [{ content: json, logprobs: logprobsFor(json, TOPICS[topic], caps.logprobs) }]),
        ),
      );
    }
  }
  if (caps.toolCalls) {
    for (const topic of TOPIC_LIST) {
      const json = greedy(topic);
      const call = (logprobs: unknown) => {
        const c = completion(style, `${topic}-tool`, [{ content: '', logprobs }]);
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
    for (const topic of TOPIC_LIST) {
      for (let n = 2; n <= 10; n++) {
        const choices = Array.from({ length: n }, (_, i) => ({ content: style.content(sampledJson(topic, i), topic) }));
        rules.push(
          rule(`${has(topic)} && ${SAMPLED} && body.n == \`${n}\``, completion(style, `${topic}-n${n}`, choices)),
        );
      }
    }
  } else {
    // One choice per request: the i-th sampled request of this configuration answers the i-th
    // entry of its topic's pattern. Labels and ids are computed by the template from the text.
    for (let i = 0; i < SAMPLED_SEQUENCE; i++) {
      const k = i % 5;
      const labelAt = TOPIC_LIST.map((t) => `(${has(t)} && '${TOPICS[t].sampled[k]}')`).join(' || ');
      const json = JSON.stringify({ label: '__LABEL__', rationale: `Sampled answer ${i}.`, confidence: 0.8 });
      const body = completion(style, `s${i}`, [{ content: style.content(json, undefined) }]);
      const r = rule(SAMPLED, body, { sequence: i });
      r.response.content = r.response.content.replace('__LABEL__', `{{jmes request ${labelAt} || 'other'}}`);
      rules.push(r);
    }
  }
  return rules;
}

const openaiStyle: Style = {
  id: (s) => `chatcmpl-{{timestamp}}-${s}`,
  fingerprint: 'fp_44709d6fcb',
  content: bare,
};

/**
 * The rules of `profile`, as mock-llm's configuration (`POST /config`).
 *
 * @example
 * await fetch(`${mock}/config`, { method: 'POST', body: JSON.stringify(mockConfig('llamacpp')) });
 */
export function mockConfig(profile: MockProfile): Config {
  return { streaming: { chunkSize: 50, chunkIntervalMs: 0 }, rules: profileRules(profile) };
}

function profileRules(profile: MockProfile): Rule[] {
  switch (profile) {
    // OpenAI (gpt-4o-mini): strict json_schema, logprobs with top_logprobs, n, temperature.
    case 'openai':
      return answerRules(openaiStyle, { logprobs: 1, n: true, sampling: true });

    // An OpenAI reasoning model (o1/o3/o4-mini/gpt-5): json_schema and n, but no logprobs and no
    // temperature other than the default. Error bodies as the API sends them (param, code
    // `unsupported_parameter` / `unsupported_value`). Which it names first is not documented; here
    // logprobs, then temperature.
    case 'openai-reasoning':
      return [
        ...answerRules(openaiStyle, { n: true, sampling: true }),
        refusal('body.temperature != `null` && body.temperature != `1`', 400, {
          message: `Unsupported value: 'temperature' does not support {{jmes request body.temperature}} with this model. Only the default (1) value is supported.`,
          type: 'invalid_request_error',
          param: 'temperature',
          code: 'unsupported_value',
        }),
        refusal('body.logprobs != `null` || body.top_logprobs != `null`', 400, {
          message: `Unsupported parameter: 'logprobs' is not supported with this model.`,
          type: 'invalid_request_error',
          param: 'logprobs',
          code: 'unsupported_parameter',
        }),
      ];

    // vLLM (0.6+, guided decoding through xgrammar/outlines): json_schema, logprobs (labels in two
    // BPE pieces), n, temperature. Ids are `chatcmpl-<hex>`, no system_fingerprint, and every
    // choice carries vLLM's `stop_reason`.
    case 'vllm':
      return answerRules(
        {
          id: (s) => `chatcmpl-{{timestamp}}-${s}`,
          fingerprint: null,
          choiceExtra: { stop_reason: null },
          content: bare,
        },
        { logprobs: 2, n: true, sampling: true },
      );

    // vLLM before json_schema (vllm-project/vllm#7654, Aug 2024; 0.5.x with named function calling):
    // its ResponseFormat took `text` or `json_object` only, so json_schema fails pydantic validation,
    // answered as HTTP 400 in vLLM's own error shape of then, at the top level:
    // `{"object":"error","message":"[{'type': 'literal_error', ...}]","type":"BadRequestError",
    // "param":null,"code":400}` (e.g. vllm-project/vllm#10015); openai-node 7 wraps such a body as
    // `{ error: body }` (makeStatusError), so the message still reaches the client. A forced tool
    // call is constrained (guided decoding) and answered with logprobs.
    case 'vllm-0.5':
      return [
        ...answerRules(
          {
            id: (s) => `chatcmpl-{{timestamp}}-${s}`,
            fingerprint: null,
            choiceExtra: { stop_reason: null },
            content: bare,
          },
          { logprobs: 2, n: true, sampling: true, toolCalls: true },
        ),
        rule(
          "body.response_format.type == 'json_schema'",
          {
            object: 'error',
            message:
              "[{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema', 'ctx': {'expected': \"'text' or 'json_object'\"}}]",
            type: 'BadRequestError',
            param: null,
            code: 400,
          },
          { status: 400 },
        ),
      ];

    // llama.cpp's server as built before json_schema support (ggml-org/llama.cpp#9527, Sep 2024)
    // and without --jinja: JSON mode only, no tools, no `n`, and no OpenAI-style logprobs (its
    // `n_probs` output was not in the OpenAI shape). Messages from tools/server/utils.hpp
    // (oaicompat_chat_params_parse): `Only one completion choice is allowed`, `response_format type
    // must be one of "text" or "json_object", but got: json_schema`, `Unsupported param: tools`.
    // Here all as HTTP 400 invalid_request_error; some builds (and the ik_llama.cpp fork) send the
    // same texts as HTTP 500 `server_error`, which an SDK retries as a server fault.
    case 'llamacpp':
      return llamacppRules(400, 'invalid_request_error');
    // The same server where its refusals arrive as HTTP 500 `server_error` (seen from llama-server
    // for `n`, and from the ik_llama.cpp fork for json_schema, ik_llama.cpp#778).
    case 'llamacpp-500':
      return llamacppRules(500, 'server_error');

    // Ollama's /v1 (0.5+): json_schema honoured; `n` and `logprobs` not read (one choice, no
    // logprobs; Ollama's own API has logprobs since 0.12.11, its OpenAI layer dropped them, see
    // ollama/ollama#16117); temperature honoured. Fingerprint always `fp_ollama`.
    case 'ollama':
      return answerRules(
        { id: (s) => `chatcmpl-{{timestamp}}-${s}`, fingerprint: 'fp_ollama', content: bare },
        { sampling: true },
      );

    // The LiteLLM proxy in front of Ollama (`ollama_chat/...`) without `drop_params`: a parameter
    // its provider mapping lacks is refused before anything reaches Ollama, HTTP 400
    // `litellm.UnsupportedParamsError: ollama_chat does not support parameters: [...]` (text as in
    // BerriAI/litellm#17165), named in the message only: the proxy's error has no usable `param`
    // (its `type`/`param` strings are "None"; unsure for every release). json_schema and
    // temperature reach Ollama, which honours them.
    case 'litellm': {
      const unsupported = (params: string) => ({
        message: `litellm.UnsupportedParamsError: ollama_chat does not support parameters: [${params}], for model=llama3.1:8b. To drop these, set \`litellm.drop_params=True\` or for proxy:\n\n\`litellm_settings:\n drop_params: true\`\n. \n If you want to use these params dynamically send allowed_openai_params=[${params}] in your request.`,
        type: 'None',
        param: 'None',
        code: '400',
      });
      return [
        ...answerRules(
          { id: (s) => `chatcmpl-{{timestamp}}-${s}`, fingerprint: 'fp_ollama', content: bare },
          { sampling: true },
        ),
        refusal('body.n > `1`', 400, unsupported("'n'")),
        refusal(
          'body.logprobs != `null` || body.top_logprobs != `null`',
          400,
          unsupported("'logprobs', 'top_logprobs'"),
        ),
      ];
    }

    // A caching gateway whose cache key is the prompt alone: the same stored answer, id, created
    // and fingerprint whatever the temperature or `n`, and no logprobs (the cache keeps the
    // message only). Samples are copies, not samples.
    case 'caching-gateway': {
      const cached: Style = { id: (s) => `chatcmpl-cache-${s}`, fingerprint: 'fp_cache_2f1e', content: bare };
      return answerRules(cached, {}).map((r) => ({
        ...r,
        response: { ...r.response, content: r.response.content.replaceAll('{{timestamp}}', '1767225600') },
      }));
    }

    // A model behind a server that accepts response_format but does not constrain the output (a
    // gateway that drops it; an older Ollama for json_schema): JSON in a ```json fence after a line
    // of prose, or one JSON object with prose around it. No logprobs, one choice.
    case 'fenced-json':
      return answerRules(
        {
          ...openaiStyle,
          content: (json, topic) =>
            topic === 'parcel'
              ? `The answer is ${json} - I hope that helps.`
              : `Here is my classification:\n\n\`\`\`json\n${json}\n\`\`\`\n`,
        },
        { sampling: true },
      );

    // A model that answers in words, always the same words for the same text.
    case 'plain-text':
      return [
        rule(
          '@',
          completion(openaiStyle, 'text', [
            { content: `I would file this under {{jmes request ${LABEL_OF}}}, I think.` },
          ]),
        ),
      ];
  }
}

function llamacppRules(status: 400 | 500, type: string): Rule[] {
  const llama = (message: string) => ({ code: status, message, type });
  return [
    ...answerRules(
      { id: (s) => `chatcmpl-{{timestamp}}-${s}`, fingerprint: 'b3447-9d4e7a2c', content: bare },
      { sampling: true },
    ),
    refusal('body.tools != `null`', status, llama('Unsupported param: tools')),
    refusal(
      "body.response_format.type == 'json_schema'",
      status,
      llama('response_format type must be one of "text" or "json_object", but got: json_schema'),
    ),
    refusal('body.n > `1`', status, llama('Only one completion choice is allowed')),
  ];
}

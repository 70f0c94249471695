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
// - No tokenizer and no model: log probabilities are written by hand (mock-llm-answers.ts), per
//   topic, as a tokenizer might split the answer, and only for the greedy answer of each topic.
// - `{{timestamp}}` is in milliseconds: requests in the same millisecond get the same id.
// - No per-parameter validation of its own: every refusal is a rule matching the parameter, with
//   the error body the real server sends (cited at each profile).
import type { Config, Rule } from '@dwmkerr/mock-llm/dist/config.js';
import { answerRules, bare, completion, LABEL_OF, openaiStyle, refusal, rule, type Style } from './mock-llm-answers';

export { MOCK_LABELS, SAMPLED_SEQUENCE, TOPICS, type Topic, topicText } from './mock-llm-answers';

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

/**
 * The rules of `profile`, as mock-llm's configuration (its `--config` file, or `POST /config`).
 *
 * @example
 * await writeFile('llamacpp.json', JSON.stringify(mockConfig('llamacpp'))); // then: mock-llm --config llamacpp.json
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
    // ollama/ollama#16117); temperature honoured. Fingerprint always `fp_ollama`, and ids are
    // `chatcmpl-` and a random number below 999 (middleware/openai.go: rand.Intn(999)), so they
    // repeat: here one fixed number per topic for the greedy answer (as if drawn alike), and a
    // stepping one for the sampled requests.
    case 'ollama':
      return answerRules(ollamaStyle, { sampling: true });

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
          // LiteLLM's own ids (a uuid per response) and no fingerprint.
          { id: (s) => `chatcmpl-{{timestamp}}-${s}`, fingerprint: null, content: bare },
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

/** Ollama's ids: `chatcmpl-` and a number below 999 (see the profile). */
const ollamaStyle: Style = {
  id: (key) => {
    const sample = /^s(\d+)$/.exec(key);
    if (sample) return `chatcmpl-${(Number(sample[1]) * 389 + 17) % 999}`;
    const fixed: Record<string, number> = { refund: 311, parcel: 542, unsure: 87 };
    return `chatcmpl-${fixed[key.split(':')[0] ?? ''] ?? 7}`;
  },
  fingerprint: 'fp_ollama',
  content: bare,
};

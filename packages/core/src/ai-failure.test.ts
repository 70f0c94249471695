import { describe, expect, it } from 'vitest';
import { describeAiFailure } from './ai-failure';

const refused = {
  kind: 'refused_parameter' as const,
  provider: 'openai',
  endpoint: 'http://host/v1',
  model: 'm',
  status: 400,
  providerMessage: 'logprobs is not supported',
  parameter: 'logprobs',
};

describe('describeAiFailure', () => {
  it('names the endpoint, the model, the status, the provider message and the refused parameter', () => {
    expect(describeAiFailure(refused)).toBe(
      'OpenAI-compatible endpoint http://host/v1 (model m) answered HTTP 400: "logprobs is not supported" (parameter logprobs)',
    );
    expect(describeAiFailure({ kind: 'http_error', provider: 'openai', endpoint: 'http://h/v1', status: 500 })).toBe(
      'OpenAI-compatible endpoint http://h/v1 answered HTTP 500',
    );
    expect(
      describeAiFailure({
        kind: 'unreachable',
        provider: 'openai',
        endpoint: 'http://h/v1',
        providerMessage: 'ECONNREFUSED',
      }),
    ).toBe('OpenAI-compatible endpoint http://h/v1 could not be reached: ECONNREFUSED');
    expect(
      describeAiFailure({ kind: 'timeout', provider: 'openai', model: 'm', providerMessage: 'after 400 ms' }),
    ).toBe('OpenAI-compatible endpoint (model m) did not answer in time: after 400 ms');
    expect(describeAiFailure({ kind: 'invalid_output', provider: 'openai', providerMessage: 'not JSON' })).toBe(
      'OpenAI-compatible endpoint answered something unusable: not JSON',
    );
    expect(describeAiFailure({ kind: 'aborted', provider: 'openai' })).toBe(
      'the call to OpenAI-compatible endpoint was abandoned',
    );
    expect(describeAiFailure({ kind: 'not_configured', provider: 'openai', providerMessage: 'no API key' })).toBe(
      'OpenAI-compatible endpoint is not configured: no API key',
    );
  });

  it('describes a refusal by an open circuit by the failure that opened it, not the countdown to its probe', () => {
    const text = describeAiFailure({
      kind: 'circuit_open',
      provider: 'openai',
      retryAt: 1_000_000,
      lastFailure: { kind: 'http_error', provider: 'openai', endpoint: 'http://h/v1', model: 'm', status: 503 },
    });
    expect(text).toBe(
      'OpenAI-compatible endpoint http://h/v1 (model m) answered HTTP 503; further calls paused by the circuit breaker',
    );
    expect(text).not.toMatch(/probe/);
  });
});

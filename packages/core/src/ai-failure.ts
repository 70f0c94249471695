import type { AiFailure } from './errors';

/** How a provider is named to people: `openai` speaks the OpenAI API, whoever serves it. */
function providerLabel(provider: string): string {
  if (provider === 'openai') return 'OpenAI-compatible endpoint';
  if (provider === 'local') return 'built-in local model';
  return `${provider} provider`;
}

/** Who failed: the provider, its endpoint and the model asked, as far as they are known. */
function who(f: Omit<AiFailure, 'lastFailure'>): string {
  const endpoint = f.endpoint ? ` ${f.endpoint}` : '';
  const model = f.model ? ` (model ${f.model})` : '';
  return `${providerLabel(f.provider)}${endpoint}${model}`;
}

const quoted = (s: string | undefined) => (s ? `"${s}"` : '');

/**
 * A sentence for a reviewer or an operator saying what an AI call's failure was, built from its
 * details rather than from whichever error message carried them. A refusal by an open circuit
 * breaker is described by the failure that opened it (the real cause), never by the breaker's
 * countdown to its next probe.
 *
 * @example
 * describeAiFailure({ kind: 'refused_parameter', provider: 'openai', endpoint: 'http://host/v1', model: 'm',
 *   status: 400, providerMessage: 'logprobs is not supported', parameter: 'logprobs' });
 * // => 'OpenAI-compatible endpoint http://host/v1 (model m) answered HTTP 400: "logprobs is not supported" (parameter logprobs)'
 */
export function describeAiFailure(f: AiFailure): string {
  if (f.kind === 'circuit_open') {
    const paused = 'further calls paused by the circuit breaker';
    return f.lastFailure ? `${describeAiFailure(f.lastFailure)}; ${paused}` : `${who(f)} kept failing; ${paused}`;
  }
  const message = f.providerMessage;
  const parameter = f.parameter ? ` (parameter ${f.parameter})` : '';
  switch (f.kind) {
    case 'http_error':
    case 'refused_parameter': {
      const status = f.status !== undefined ? `HTTP ${f.status}` : 'an error';
      return `${who(f)} answered ${status}${message ? `: ${quoted(message)}` : ''}${parameter}`;
    }
    case 'unreachable':
      return `${who(f)} could not be reached${message ? `: ${message}` : ''}`;
    case 'timeout':
      return `${who(f)} did not answer in time${message ? `: ${message}` : ''}`;
    case 'invalid_output':
      return `${who(f)} answered something unusable${message ? `: ${message}` : ''}${parameter}`;
    case 'aborted':
      return `the call to ${who(f)} was abandoned${message ? `: ${message}` : ''}`;
    case 'not_configured':
      return `${who(f)} is not configured${message ? `: ${message}` : ''}`;
  }
}

import { describe, expect, it } from 'vitest';
import { costUsd, DEFAULT_PRICES, priceOf } from './pricing';

describe('priceOf', () => {
  it('finds a snapshot by its base name, but strips only a date', () => {
    expect(priceOf('gpt-4o-mini', 'gpt-4o-mini-2024-07-18')).toEqual(DEFAULT_PRICES['gpt-4o-mini']);
    expect(priceOf('gpt-3.5-turbo-0125')).toEqual(DEFAULT_PRICES['gpt-3.5-turbo']);
    expect(priceOf('gpt-4o-audio-preview')).toBeUndefined();
  });

  it('prefers an exact snapshot to its base name', () => {
    expect(priceOf('gpt-4o', 'gpt-4o-2024-05-13')).toEqual({ inputPerMillion: 5, outputPerMillion: 15 });
    expect(priceOf('gpt-4o', 'gpt-4o-2024-08-06')).toEqual({ inputPerMillion: 2.5, outputPerMillion: 10 });
  });

  it('lets overrides win and add models', () => {
    const overrides = {
      'gpt-4o-mini': { inputPerMillion: 1, outputPerMillion: 2 },
      'llama-3-8b': { inputPerMillion: 0, outputPerMillion: 0 },
    };
    expect(priceOf('gpt-4o-mini', 'gpt-4o-mini-2024-07-18', overrides)).toEqual({
      inputPerMillion: 1,
      outputPerMillion: 2,
    });
    expect(priceOf('llama-3-8b', 'llama-3-8b', overrides)).toEqual({ inputPerMillion: 0, outputPerMillion: 0 });
    expect(priceOf('unknown-model', 'unknown-model')).toBeUndefined();
    expect(priceOf('toString')).toBeUndefined();
  });
});

describe('costUsd', () => {
  it('is tokens times the price per million, unknown without a price or usage', () => {
    expect(costUsd({ inputPerMillion: 0.15, outputPerMillion: 0.6 }, 1000, 100)).toBeCloseTo(0.00021, 12);
    expect(costUsd(undefined, 1000, 100)).toBeUndefined();
    expect(costUsd({ inputPerMillion: 1, outputPerMillion: 1 }, undefined, 100)).toBeUndefined();
  });
});

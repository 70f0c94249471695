/** What a model costs, in US dollars per million tokens. */
export interface ModelPrice {
  inputPerMillion: number;
  outputPerMillion: number;
}

/** Prices by model name: a base name (`gpt-4o-mini`) or an exact snapshot (`gpt-4o-2024-05-13`). */
export type PriceTable = Readonly<Record<string, ModelPrice>>;

const price = (inputPerMillion: number, outputPerMillion: number): ModelPrice => ({
  inputPerMillion,
  outputPerMillion,
});

/**
 * OpenAI's standard-tier list prices (USD per 1M tokens) for common chat models, as published in
 * 2025. Cached-input and batch discounts are not applied, so costs are upper bounds. Prices change
 * and other endpoints charge differently: override or extend them with the provider's `pricing`
 * option. A model found in neither has an unknown cost (`costUsd` undefined).
 */
export const DEFAULT_PRICES: PriceTable = {
  'gpt-4o-mini': price(0.15, 0.6),
  'gpt-4o': price(2.5, 10),
  // The first gpt-4o snapshot kept its launch price.
  'gpt-4o-2024-05-13': price(5, 15),
  'gpt-4.1': price(2, 8),
  'gpt-4.1-mini': price(0.4, 1.6),
  'gpt-4.1-nano': price(0.1, 0.4),
  'gpt-5': price(1.25, 10),
  'gpt-5-mini': price(0.25, 2),
  'gpt-5-nano': price(0.05, 0.4),
  'gpt-4-turbo': price(10, 30),
  'gpt-4': price(30, 60),
  'gpt-3.5-turbo': price(0.5, 1.5),
  o1: price(15, 60),
  'o1-mini': price(1.1, 4.4),
  o3: price(2, 8),
  'o3-mini': price(1.1, 4.4),
  'o4-mini': price(1.1, 4.4),
};

/**
 * The price of a model: `overrides` first, then `DEFAULT_PRICES`; in each, the answering snapshot
 * (`modelVersion`, e.g. `gpt-4o-mini-2024-07-18`) exactly, then the requested name exactly, then the
 * snapshot without its date suffix (`-2024-07-18` or `-0125`). Only a date is stripped, so
 * `gpt-4o-audio-preview` does not get `gpt-4o`'s price.
 *
 * @example
 * priceOf('gpt-4o-mini', 'gpt-4o-mini-2024-07-18'); // { inputPerMillion: 0.15, outputPerMillion: 0.6 }
 * priceOf('my-vllm-model', undefined, { 'my-vllm-model': { inputPerMillion: 0, outputPerMillion: 0 } });
 */
export function priceOf(model: string, modelVersion?: string, overrides: PriceTable = {}): ModelPrice | undefined {
  const names = [modelVersion, model, modelVersion && withoutDate(modelVersion), withoutDate(model)].filter(
    (n): n is string => typeof n === 'string' && n !== '',
  );
  for (const table of [overrides, DEFAULT_PRICES]) {
    for (const name of names) {
      if (Object.hasOwn(table, name)) return table[name];
    }
  }
  return undefined;
}

/**
 * Dollars for the given token counts, or `undefined` when the price or the usage is unknown.
 *
 * @example
 * costUsd({ inputPerMillion: 0.15, outputPerMillion: 0.6 }, 1000, 100); // 0.00021
 */
export function costUsd(
  p: ModelPrice | undefined,
  tokensIn: number | undefined,
  tokensOut: number | undefined,
): number | undefined {
  if (!p || tokensIn === undefined || tokensOut === undefined) return undefined;
  return (tokensIn * p.inputPerMillion + tokensOut * p.outputPerMillion) / 1_000_000;
}

function withoutDate(name: string): string {
  return name.replace(/-(\d{4}-\d{2}-\d{2}|\d{4})$/, '');
}

// axe-core on a page of the console, for the browser suites.
import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/**
 * Runs axe-core on the page as it is and fails with every serious or critical violation of WCAG 2.1
 * A/AA, each with the elements it found it on (minor and moderate ones are not this check's business).
 */
export async function expectAccessible(p: Page, screen: string): Promise<void> {
  const results = await new AxeBuilder({ page: p }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${screen}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(serious).toEqual([]);
  // Something was checked: an empty page would pass too.
  expect(results.passes.length).toBeGreaterThan(10);
}

import { defineWorkflow } from '@signoff/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { declaredTargets, pct, policySubject } from './policies';

describe('pct', () => {
  it('prints whole percentages without floating-point artefacts', () => {
    expect(pct(0.07)).toBe('7%');
    expect(pct(0.95)).toBe('95%');
    expect(pct(0.01)).toBe('1%');
    expect(pct(1)).toBe('100%');
  });

  it('keeps the digits that matter of fractional percentages', () => {
    expect(pct(0.005)).toBe('0.50%');
    expect(pct(0.125)).toBe('12.5%');
  });
});

describe('declaredTargets', () => {
  it("declares a certified state's target and each certified field's, audited at the state's rate", () => {
    const definition = defineWorkflow({
      name: 'vendors',
      input: z.object({ doc: z.string() }),
      start: 'extract',
      states: {
        extract: {
          kind: 'decide',
          agent: { name: 'reader', instructions: 'Read it.' },
          output: z.object({ taxId: z.string(), vendor: z.object({ name: z.string() }), amount: z.number() }),
          text: (ctx) => ctx.input.doc,
          policy: {
            autoAccept: { maxError: 0.05, confidence: 0.9 },
            queue: 'v',
            sampleRate: 0.1,
            fields: {
              taxId: { autoAccept: { maxError: 0.01, confidence: 0.95 } },
              'vendor.name': { autoAccept: { maxError: 0.02, confidence: 0.99 } },
              amount: { autoAcceptAt: 0.9 },
            },
          },
          next: 'done',
        },
        done: { kind: 'final', status: 'succeeded' },
      },
    });
    expect(declaredTargets(definition)).toEqual([
      { workflow: 'vendors', state: 'extract', field: null, maxError: 0.05, confidence: 0.9, auditRate: 0.1 },
      { workflow: 'vendors', state: 'extract', field: 'taxId', maxError: 0.01, confidence: 0.95, auditRate: 0.1 },
      { workflow: 'vendors', state: 'extract', field: 'vendor.name', maxError: 0.02, confidence: 0.99, auditRate: 0.1 },
    ]);
  });

  it('names a field policy in messages', () => {
    expect(policySubject('vendors', 'extract', 'taxId')).toBe('field "taxId" of "extract" of "vendors"');
    expect(policySubject('vendors', 'extract', null)).toBe('"extract" of "vendors"');
  });
});

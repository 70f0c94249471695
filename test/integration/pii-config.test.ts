// Bad PII patterns are refused where they are configured, naming the pattern: the server does not
// start with a broken SIGNOFF_PII_PATTERNS (or file), and defineWorkflow refuses a workflow's.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineWorkflow } from '@signoff/core';
import { readEnv, startSignoff } from '@signoff/server';
import { expect, it } from 'vitest';
import { z } from 'zod';

const failure = (p: Promise<unknown>) =>
  p.then(
    () => 'started',
    (e: Error) => e.message,
  );

it('the server does not start with a bad pattern, and says which', async () => {
  // An unreachable database: the patterns are checked before anything is opened.
  const env = (extra: Record<string, string>) =>
    readEnv({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', PORT: '0', ...extra });
  expect(
    await failure(
      startSignoff({ env: env({ SIGNOFF_PII_PATTERNS: '[{"name":"member-id","regex":"MBR-(\\\\d"}]' }), api: false }),
    ),
  ).toMatch(/^SIGNOFF_PII_PATTERNS: pattern "member-id" is not a valid regular expression: /);
  const file = join(mkdtempSync(join(tmpdir(), 'pii-')), 'patterns.json');
  writeFileSync(file, '[{"name":"Policy No","regex":"POL\\\\d+"}]');
  expect(await failure(startSignoff({ env: env({ SIGNOFF_PII_PATTERNS_FILE: file }), api: false }))).toBe(
    `SIGNOFF_PII_PATTERNS_FILE (${file}): pattern 0 "Policy No" (name): a pattern name is lower case letters, digits, - or _ (at most 40)`,
  );
});

it("defineWorkflow refuses a workflow's bad pattern, naming it", () => {
  const define = (patterns: { name: string; regex: string; flags?: string }[]) => () =>
    defineWorkflow({
      name: 'pii-config',
      input: z.object({}),
      start: 'done',
      pii: { patterns },
      states: { done: { kind: 'final', status: 'succeeded' } },
    });
  expect(define([{ name: 'claim', regex: 'CL(' }])).toThrow(/pii\.patterns\[0\] "claim": the regex is not valid: /);
  expect(define([{ name: 'claim', regex: 'x*' }])).toThrow(
    'pii.patterns[0] "claim": the regex matches the empty string',
  );
  expect(define([{ name: 'email', regex: 'x' }])).toThrow(
    'pii.patterns[0] "email": email, phone, card and iban are built in',
  );
  expect(define([{ name: 'claim', regex: 'x', flags: 'g' }])).toThrow(
    'pii.patterns[0] "claim": flags may only contain i, m, s and u',
  );
  expect(define([{ name: 'claim', regex: 'CL-\\d+' }])).not.toThrow();
});

import { describe, expect, it } from 'vitest';
import { defaultIdempotencyPrefix, parseSubmitLine } from './submit-lines';

const defaults = { workflow: 'support-triage', idempotencyPrefix: 'tickets' };

describe('parseSubmitLine', () => {
  it('fills in the default workflow and a key from the prefix and line number', () => {
    expect(parseSubmitLine('{"input":{"a":1}}', 7, defaults)).toEqual({
      kind: 'item',
      submission: { workflow: 'support-triage', input: { a: 1 }, idempotencyKey: 'tickets:7' },
    });
  });

  it("keeps the line's own workflow and key", () => {
    const parsed = parseSubmitLine('{"workflow":"w","input":1,"idempotencyKey":"k"}', 3, defaults);
    expect(parsed).toEqual({ kind: 'item', submission: { workflow: 'w', input: 1, idempotencyKey: 'k' } });
  });

  it('skips blank lines and rejects malformed JSON, non-objects and lines without a workflow', () => {
    expect(parseSubmitLine('   ', 1, defaults)).toEqual({ kind: 'blank' });
    expect(parseSubmitLine('{"input":', 2, defaults)).toMatchObject({
      kind: 'rejected',
      error: { code: 'MALFORMED_JSON', message: expect.stringMatching(/^malformed JSON/) },
    });
    expect(parseSubmitLine('[1]', 3, defaults)).toMatchObject({ kind: 'rejected', error: { code: 'BAD_INPUT' } });
    expect(parseSubmitLine('{"input":{}}', 4, { idempotencyPrefix: 'p' })).toMatchObject({
      kind: 'rejected',
      error: { message: expect.stringContaining('--workflow') },
    });
  });
});

describe('defaultIdempotencyPrefix', () => {
  it('is stable for the same file and changes when its size or mtime does', () => {
    const a = defaultIdempotencyPrefix('/data/tickets.jsonl', { size: 10, mtimeMs: 1000 });
    expect(a).toMatch(/^tickets\.jsonl@[0-9a-f]{12}$/);
    expect(defaultIdempotencyPrefix('/elsewhere/tickets.jsonl', { size: 10, mtimeMs: 1000 })).toBe(a);
    expect(defaultIdempotencyPrefix('/data/tickets.jsonl', { size: 11, mtimeMs: 1000 })).not.toBe(a);
    expect(defaultIdempotencyPrefix('/data/tickets.jsonl', { size: 10, mtimeMs: 2000 })).not.toBe(a);
  });
});

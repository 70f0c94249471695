// The one transition path, as a rule on the engine's source: items and everything hanging off
// them (state runs, decisions, tasks, reviews, labels, branches, waits, audit events) are written
// only by the writer's SQL (plan-sql.ts; a heartbeat's lease renewal is its one statement outside a
// plan), and jobs are only enqueued by the writer. A new entry
// point that wrote rows of its own, or appended audit events to an item outside the writer, would
// bring back the second path this engine was rid of.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = import.meta.dirname;
const sources = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.fixtures.ts'))
  .map((f) => ({ file: f, text: readFileSync(join(dir, f), 'utf8') }));

const ITEM_TABLES = [
  'items',
  'state_runs',
  'decisions',
  'review_tasks',
  'reviews',
  'labels',
  'branch_runs',
  'event_waits',
  'audit_events',
];

function offenders(pattern: RegExp, allowed: readonly string[]): string[] {
  return sources.filter((s) => !allowed.includes(s.file) && pattern.test(s.text)).map((s) => s.file);
}

describe('one transition path', () => {
  it('reads the engine sources it rules over', () => {
    expect(sources.map((s) => s.file)).toEqual(
      expect.arrayContaining(['plan-sql.ts', 'plan-writer.ts', 'transitions.ts']),
    );
  });

  it('writes item rows only in the writer’s SQL', () => {
    const tables = ITEM_TABLES.join('|');
    const raw = new RegExp(`\\b(INSERT\\s+INTO|UPDATE|DELETE\\s+FROM)\\s+(${tables})\\b`);
    const builder = new RegExp(`\\.(insertInto|updateTable|deleteFrom)\\(\\s*'(${tables})(\\s+as\\s+\\w+)?'`);
    expect(offenders(raw, ['plan-sql.ts'])).toEqual([]);
    expect(offenders(builder, [])).toEqual([]);
  });

  it('enqueues jobs only in the writer, in its transaction', () => {
    expect(offenders(/\bboss\.(send|insert|sendAfter|publish)\(/, ['plan-writer.ts'])).toEqual([]);
  });

  it('appends audit events only through the writer (appendAudit is for the config stream: workflow versions)', () => {
    expect(offenders(/\bappendAudit\(/, ['registry.ts'])).toEqual([]);
    const registry = sources.find((s) => s.file === 'registry.ts')?.text ?? '';
    expect(registry).not.toMatch(/appendAudit\(trx, \{\s*itemId/);
  });
});

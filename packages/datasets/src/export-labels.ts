import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { parseStructuredLabel } from '@signoff/core';
import type { DB } from '@signoff/db';
import { maskPii } from '@signoff/governance';
import { type Kysely, sql } from 'kysely';

export interface LabelExportFilter {
  workflow?: string;
  agent?: string;
  /** Only labels recorded at or after this time. */
  since?: Date;
}

/** One exported label: the AI's answer, the human's, and where both came from. */
export interface ExportedLabel {
  id: string;
  item_id: string;
  workflow: string;
  workflow_version: number;
  state: string;
  decision_id: string | null;
  agent: string | null;
  model: string | null;
  model_version: string | null;
  prompt_version: string | null;
  input_text: string | null;
  /** `value`: a structured decision's record (the label is its canonical JSON); null when the AI gave none. */
  ai_output: { label: string | null; confidence: number | null; value?: Record<string, unknown> | null };
  human_output: { label: string; value?: Record<string, unknown> | null };
  /** A structured decision's label only: the leaf fields the person changed ([] for a confirm). */
  changed_fields?: string[];
  is_correction: boolean;
  reason: string | null;
  reviewer: { id: string; email: string };
  /** confirm, correct, answer; `adjudicated` for a label that settled earlier verdicts. */
  verdict: string;
  /** Settled by adjudication: it outranks the single verdicts on the same decision. */
  adjudicated: boolean;
  /** Its review point's answer; false for the other verdicts of a multi-reviewer point (every verdict is exported). */
  final: boolean;
  created_at: string;
}

const PAGE = 1000;

/**
 * Streams labels in creation order (created_at, then id), a page at a time (keyset pagination), so
 * exports of any size run in constant memory. Each label comes out exactly once.
 *
 * @example
 * for await (const label of iterateLabels(db, { agent: 'support-classifier' })) console.log(label.id);
 */
export async function* iterateLabels(db: Kysely<DB>, filter: LabelExportFilter = {}): AsyncGenerator<ExportedLabel> {
  let afterId: string | undefined;
  for (;;) {
    const rows = await db
      .selectFrom('labels as l')
      .innerJoin('workflow_versions as v', 'v.id', 'l.workflow_version_id')
      .innerJoin('users as u', 'u.id', 'l.reviewer_id')
      .leftJoin('reviews as r', 'r.id', 'l.review_id')
      .select([
        'l.id',
        'l.item_id',
        'l.workflow_name',
        'v.version',
        'l.state',
        'l.decision_id',
        'l.agent',
        'l.model',
        'l.model_version',
        'l.prompt_version',
        'l.input_text',
        'l.ai_label',
        'l.ai_confidence',
        'l.human_label',
        'l.is_correction',
        'l.reason',
        'l.reviewer_id',
        'u.email',
        'r.verdict',
        'l.adjudicated',
        'l.final',
        'l.created_at',
        'l.changed_fields',
      ])
      .$if(filter.workflow !== undefined, (q) => q.where('l.workflow_name', '=', filter.workflow as string))
      .$if(filter.agent !== undefined, (q) => q.where('l.agent', '=', filter.agent as string))
      .$if(filter.since !== undefined, (q) => q.where('l.created_at', '>=', filter.since as Date))
      // The cursor is the last row's id, and its created_at is read back in SQL: a JavaScript Date
      // keeps milliseconds, PostgreSQL microseconds, so a Date cursor repeats the rows of a page's
      // last millisecond on the next page.
      .$if(afterId !== undefined, (q) =>
        q.where(
          sql<boolean>`(l.created_at, l.id) > (SELECT created_at, id FROM labels WHERE id = ${afterId as string})`,
        ),
      )
      .orderBy('l.created_at')
      .orderBy('l.id')
      .limit(PAGE)
      .execute();
    for (const r of rows) {
      yield {
        id: r.id,
        item_id: r.item_id,
        workflow: r.workflow_name,
        workflow_version: r.version,
        state: r.state,
        decision_id: r.decision_id,
        agent: r.agent,
        model: r.model,
        model_version: r.model_version,
        prompt_version: r.prompt_version,
        input_text: r.input_text,
        ai_output: {
          label: r.ai_label,
          confidence: r.ai_confidence,
          ...(r.changed_fields ? { value: parseStructuredLabel(r.ai_label) ?? null } : {}),
        },
        human_output: {
          label: r.human_label,
          ...(r.changed_fields ? { value: parseStructuredLabel(r.human_label) ?? null } : {}),
        },
        ...(r.changed_fields ? { changed_fields: r.changed_fields } : {}),
        is_correction: r.is_correction,
        reason: r.reason,
        reviewer: { id: r.reviewer_id, email: r.email },
        verdict: r.verdict ?? 'adjudicated',
        adjudicated: r.adjudicated,
        final: r.final,
        created_at: r.created_at.toISOString(),
      };
    }
    const last = rows.at(-1);
    if (!last || rows.length < PAGE) return;
    afterId = last.id;
  }
}

export type ExportFormat = 'jsonl';

/**
 * Writes labels to a file, one JSON object per line, and returns how many were written.
 *
 * @example
 * const { count } = await exportLabels(db, { format: 'jsonl', out: 'labels.jsonl' });
 */
export async function exportLabels(
  db: Kysely<DB>,
  options: {
    format: ExportFormat;
    out: string;
    filter?: LabelExportFilter;
    onProgress?: (count: number) => void;
    /** Write PII as stored (an operator's audited `--include-pii`); by default every label is masked. */
    includePii?: boolean;
  },
): Promise<{ count: number; path: string }> {
  const stream = createWriteStream(options.out, { encoding: 'utf8' });
  let count = 0;
  try {
    for await (const label of iterateLabels(db, options.filter)) {
      // Masked but for the reviewer's sign-in e-mail (a staff account, not item data).
      const line = options.includePii ? label : maskPii(label, { keep: ['reviewer.email'] });
      if (!stream.write(`${JSON.stringify(line)}\n`)) await once(stream, 'drain');
      count++;
      if (count % 1000 === 0) options.onProgress?.(count);
    }
  } finally {
    stream.end();
    await once(stream, 'finish');
  }
  options.onProgress?.(count);
  return { count, path: options.out };
}

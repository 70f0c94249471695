// The vendor onboarding demo's past: a month of vendor submissions the tax-form reader extracted
// and procurement reviewed, field by field, so that on a fresh `npm start` the built-in extractor
// has labels to learn its patterns from (and the per-field dashboards have a history). Like the
// support history these are imported rows, each item's audit trail saying so
// (`demo.history_imported`); the extractor's past answers are simulated: right on clean portal
// forms, wrong now and then where a document's wording is unusual (payment terms in prose, a bank
// named rather than its country, an OCR'd tax id), and every one corrected to the true record.
import { createHash, randomUUID } from 'node:crypto';
import { promptVersion } from '@signoff/ai';
import {
  canonicalJson,
  fieldChanges,
  leafFields,
  outputFields,
  outputJsonSchema,
  structuredLabel,
  valueAt,
  withValueAt,
} from '@signoff/core';
import type { DB } from '@signoff/db';
import type { Insertable, Kysely } from 'kysely';
import { emptyHistoryRows, historyTarget, importedEvent, writeHistoryRows } from './history-import';
import { mulberry32 } from './support-items';
import { type DocumentFormat, generateVendorSubmissions } from './vendor-documents';
import { VENDOR_FOUR_EYES_USD, type VendorRecord, vendorOnboarding, vendorRecord } from './vendor-onboarding';

/** Idempotency keys of the vendor history's items start with this. */
export const VENDOR_HISTORY_KEY_PREFIX = 'demo-vendor-history-';
/** The model the history's decisions name (the built-in extractor's name, its own version). */
export const VENDOR_HISTORY_MODEL = { model: 'signoff-local-extractor', version: 'lx-history' } as const;

const DAY = 86_400_000;
const LEAVES = leafFields(outputFields(vendorRecord)).map((f) => f.path);

/** How often the simulated past extractor misread a field, by document format. */
const MISREAD: Record<DocumentFormat, Partial<Record<string, number>>> = {
  portal: { paymentTerms: 0.05 },
  'tax-form': { bankCountry: 0.25, 'address.city': 0.15, annualSpend: 0.1 },
  email: { paymentTerms: 0.3, annualSpend: 0.2, legalName: 0.15, clauses: 0.2 },
  scan: { taxId: 0.3, legalName: 0.25, 'address.street': 0.15 },
};

/** A wrong but well-formed value for a field, as the past extractor would have read it. */
function misreading(record: VendorRecord, path: string, rnd: () => number): unknown {
  switch (path) {
    case 'paymentTerms':
      return record.paymentTerms === 'net_30' ? 'net_60' : 'net_30';
    case 'bankCountry':
      return record.bankCountry === 'US' ? 'GB' : 'US';
    case 'address.city':
      return `${record.address.city}, ${record.address.postalCode}`;
    case 'address.street':
      return record.address.street.replace(/\d/, '8');
    case 'annualSpend':
      return Math.round(record.annualSpend / 12);
    case 'legalName':
      return `Accounts team, ${record.legalName}`;
    case 'clauses':
      return record.clauses.slice(0, -1);
    case 'taxId': {
      // An OCR slip: one digit read as another.
      const at = [...record.taxId].findIndex((c, i) => /\d/.test(c) && i >= 3 + Math.floor(rnd() * 4));
      const digits = [...record.taxId];
      digits[at] = String((Number(digits[at]) + 3) % 10);
      return digits.join('');
    }
    default:
      return valueAt(record, path);
  }
}

export interface VendorHistoryOptions {
  /** Past submissions. Default 120: enough for the extractor's confidence on a clean portal form to clear the 0.6 overall threshold. */
  items?: number;
  /** Days they are spread over, ending now. Default 30. */
  days?: number;
  /** The demo reviewers working the `vendors` queue (two, for the records over the four-eyes limit). */
  reviewerIds: readonly string[];
  now?: Date;
  seed?: number;
}

/**
 * Imports the vendor history once (a later call finds its first item and does nothing). Returns how
 * many items it wrote.
 *
 * @example
 * await seedVendorHistory(db, { reviewerIds: [riley.id, sam.id] });
 */
export async function seedVendorHistory(db: Kysely<DB>, options: VendorHistoryOptions): Promise<{ items: number }> {
  const count = options.items ?? 120;
  const days = options.days ?? 30;
  const now = (options.now ?? new Date()).getTime();
  const [first, second] = options.reviewerIds;
  if (!first || !second) throw new Error('The vendor history needs two reviewers');
  const versionId = await historyTarget(db, vendorOnboarding.name, `${VENDOR_HISTORY_KEY_PREFIX}0`);
  if (versionId === undefined) return { items: 0 };
  const extract = vendorOnboarding.states.extract as { agent: { name: string; instructions: string } };
  // As the built-in extractor versions its prompt: the instructions and the record's JSON Schema.
  const prompt = promptVersion(extract.agent.instructions, [canonicalJson(outputJsonSchema(vendorRecord))]);
  const fields = outputFields(vendorRecord);
  const rnd = mulberry32(options.seed ?? 1_313);
  // Another seed than the live submissions': the extractor learns from documents it is not asked about.
  const past = generateVendorSubmissions(count, 9_091, VENDOR_HISTORY_KEY_PREFIX);
  const rows = emptyHistoryRows();
  past.forEach((sub, n) => {
    const at = new Date(now - days * DAY + Math.floor((n / count) * days * DAY * 0.95));
    let ai: Record<string, unknown> = sub.truth;
    const fieldConfidence: Record<string, { confidence: number; score: number; method: string; note: string }> = {};
    for (const path of LEAVES) {
      const wrong = rnd() < (MISREAD[sub.format][path] ?? 0.01);
      if (wrong) ai = withValueAt(ai, path, misreading(sub.truth, path, rnd));
      const c = wrong ? 0.55 + 0.35 * rnd() : 0.8 + 0.19 * rnd();
      fieldConfidence[path] = {
        confidence: c,
        score: Math.log(c / (1 - c)),
        method: 'posterior',
        note: 'demo history',
      };
    }
    const overall = Object.values(fieldConfidence).reduce((p, f) => p * f.confidence, 1);
    const changes = fieldChanges(fields, ai, sub.truth);
    const aiLabel = structuredLabel(ai);
    const humanLabel = structuredLabel(sub.truth);
    const text = sub.input.document;
    const itemId = randomUUID();
    const decisionId = randomUUID();
    const runId = randomUUID();
    const decidedAt = new Date(at.getTime() + 3);
    const reviewedAt = new Date(decidedAt.getTime() + (20 + Math.floor(rnd() * 600)) * 60_000);
    const fourEyes = sub.truth.annualSpend > VENDOR_FOUR_EYES_USD;
    const event = importedEvent(itemId, { simulatedAt: at.toISOString() });
    rows.audit.push(event);
    const context = {
      extract: { label: humanLabel, value: sub.truth, decidedBy: 'human', changedFields: changes.map((c) => c.field) },
    };
    rows.items.push({
      id: itemId,
      workflow_name: vendorOnboarding.name,
      workflow_version_id: versionId,
      idempotency_key: sub.idempotencyKey,
      input: JSON.stringify(sub.input),
      context: JSON.stringify(context),
      status: 'succeeded',
      current_state: null,
      audit_seq: event.seq,
      audit_hash: event.hash,
      created_at: at,
      updated_at: reviewedAt,
      finished_at: reviewedAt,
    } as Insertable<DB['items']>);
    rows.runs.push({
      id: runId,
      item_id: itemId,
      state: 'extract',
      visit: 1,
      kind: 'decide',
      status: 'done',
      output: JSON.stringify(context.extract),
      next_state: 'verifyTaxId',
      started_at: at,
      finished_at: reviewedAt,
    });
    const lowTaxId = (fieldConfidence.taxId?.confidence ?? 0) < 0.95;
    rows.decisions.push({
      id: decisionId,
      item_id: itemId,
      state_run_id: runId,
      state: 'extract',
      agent: extract.agent.name,
      provider: 'local',
      model: VENDOR_HISTORY_MODEL.model,
      model_version: VENDOR_HISTORY_MODEL.version,
      prompt_version: prompt,
      input_hash: createHash('sha256').update(text).digest('hex'),
      input_text: text,
      output: JSON.stringify({
        label: aiLabel,
        value: ai,
        fields: fieldConfidence,
        confidence: overall,
        decidedBy: 'ai',
        rationale: null,
      }),
      label: aiLabel,
      confidence: overall,
      confidence_method: 'posterior',
      calibrated_confidence: overall,
      route: 'review',
      reasons: JSON.stringify([
        ...(fourEyes
          ? [
              {
                code: 'risk_rule',
                rule: 'large-spend',
                message: 'Expected annual spend over 10,000 USD',
                fields: ['annualSpend'],
              },
            ]
          : []),
        ...(lowTaxId ? [{ code: 'low_field_confidence', message: 'taxId below 95%', fields: ['taxId'] }] : []),
        // Before the extractor had labels, every record went to a person.
        { code: 'low_confidence', message: `Confidence ${Math.round(overall * 100)}% is below 60%` },
      ]),
      latency_ms: 3,
      tokens_in: null,
      tokens_out: null,
      cost_usd: 0,
      score: Math.log(overall / (1 - overall)),
      audit_probability: 1,
      threshold: 0.6,
      created_at: decidedAt,
    });
    const slots = fourEyes ? 2 : 1;
    for (let slot = 1; slot <= slots; slot++) {
      const reviewer = (n + slot) % 2 === 0 ? first : second;
      const when = new Date(reviewedAt.getTime() - (slots - slot) * 3_600_000);
      const taskId = randomUUID();
      const reviewId = randomUUID();
      rows.tasks.push({
        id: taskId,
        item_id: itemId,
        state: 'extract',
        visit: 1,
        decision_id: decisionId,
        queue: 'vendors',
        status: 'done',
        assignee_id: reviewer,
        labels: JSON.stringify([]),
        reasons: JSON.stringify([]),
        instructions: extract.agent.instructions,
        kind: 'decision',
        slot,
        reviewers_required: slots,
        due_at: new Date(decidedAt.getTime() + 480 * 60_000),
        created_at: decidedAt,
        claimed_at: new Date(when.getTime() - 60_000),
        completed_at: when,
      } as Insertable<DB['review_tasks']>);
      const corrected = changes.length > 0;
      rows.reviews.push({
        id: reviewId,
        task_id: taskId,
        reviewer_id: reviewer,
        verdict: corrected ? 'correct' : 'confirm',
        label: humanLabel,
        created_at: when,
      });
      rows.labels.push({
        id: randomUUID(),
        item_id: itemId,
        state: 'extract',
        decision_id: decisionId,
        review_id: reviewId,
        workflow_name: vendorOnboarding.name,
        workflow_version_id: versionId,
        agent: extract.agent.name,
        model: VENDOR_HISTORY_MODEL.model,
        model_version: VENDOR_HISTORY_MODEL.version,
        prompt_version: prompt,
        input_text: text,
        ai_label: aiLabel,
        ai_confidence: overall,
        human_label: humanLabel,
        is_correction: corrected,
        reason: corrected ? 'corrected to the document' : null,
        reviewer_id: reviewer,
        adjudicated: false,
        // Of a two-reviewer point, the second (agreeing) verdict is the point's answer.
        final: slot === slots,
        changed_fields: changes.map((c) => c.field),
        field_changes: JSON.stringify(changes),
        created_at: when,
      });
    }
  });
  await writeHistoryRows(db, rows);
  return { items: rows.items.length };
}

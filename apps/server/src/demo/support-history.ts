// Six weeks of past support-triage work for the demo, so the dashboards, datasets and accuracy
// screens have something to say on a fresh `npm start`: three model versions one after another, a
// share of decisions auto-accepted and a 10% audit sample of them labelled, routed reviews labelled
// by the two demo reviewers, some decisions reviewed by both (four-eyes, a lead settling their
// disagreements; the pairs give the reviewers' agreement), and the classify state
// drifting in the last week (a new kind of ticket the latest version gets wrong).
//
// These are imported rows, not replayed work: each history item's audit trail says so (one
// `demo.history_imported` event naming the simulated time), so `signoff audit verify` holds and
// nobody mistakes them for decisions the engine made.
import { createHash, randomUUID } from 'node:crypto';
import { promptVersion } from '@signoff/ai';
import type { DB } from '@signoff/db';
import type { Insertable, Kysely } from 'kysely';
import { emptyHistoryRows, historyTarget, importedEvent, writeHistoryRows } from './history-import';
import { generateLabelledSupportItems, mulberry32 } from './support-items';
import { SUPPORT_LABELS, supportTriage, ticketText } from './support-triage';

/** The history's model: the built-in model's name, versions kept apart from the live model's. */
export const HISTORY_MODEL = 'signoff-local-logreg';
export const HISTORY_MODEL_VERSIONS = ['lr-history-v1', 'lr-history-v2', 'lr-history-v3'] as const;
/** Idempotency keys of history items start with this. */
export const HISTORY_KEY_PREFIX = 'demo-history-';

export interface HistoryOptions {
  /** Days of history, ending now. Default 42. */
  days?: number;
  /** Items per day. Default 40. */
  perDay?: number;
  /** The demo reviewers who label (at least two, for the double reviews). */
  reviewerIds: readonly string[];
  /**
   * The demo lead, who settles the double reviews whose verdicts disagree (adjudication). Without
   * one the history has no double reviews: a four-eyes point never ends on a disagreement.
   */
  leadId?: string;
  /** Clock; tests pass their own. */
  now?: Date;
  seed?: number;
}

const DAY = 86_400_000;
/** Share of auto-accepted history decisions in the audit sample (labelled by a person). */
const AUDIT_RATE = 0.1;

/**
 * What the simulated model does on day `day` (0 = oldest) of `days`: its version, how often it is
 * right, and how confident it is. v1 for the first half, v2 until the last 17 days, v3 after; the
 * last 7 days a drift (v3 meets tickets it was not trained on) lowers its accuracy to about 0.7.
 */
export function historyModelOn(day: number, days: number): { version: string; accuracy: number; drifting: boolean } {
  const fromEnd = days - 1 - day;
  const drifting = fromEnd < 7;
  if (day < days / 2) return { version: HISTORY_MODEL_VERSIONS[0], accuracy: 0.82, drifting: false };
  if (fromEnd >= 17) return { version: HISTORY_MODEL_VERSIONS[1], accuracy: 0.89, drifting: false };
  return { version: HISTORY_MODEL_VERSIONS[2], accuracy: drifting ? 0.7 : 0.94, drifting };
}

/**
 * Imports the history once (a later call finds its first item and does nothing). Returns how many
 * items it wrote.
 *
 * @example
 * await seedSupportHistory(db, { reviewerIds: [riley.id, sam.id] });
 */
export async function seedSupportHistory(db: Kysely<DB>, options: HistoryOptions): Promise<{ items: number }> {
  const days = options.days ?? 42;
  const perDay = options.perDay ?? 40;
  const now = (options.now ?? new Date()).getTime();
  const [first, second] = options.reviewerIds;
  if (!first || !second) throw new Error('The demo history needs two reviewers');
  const versionId = await historyTarget(db, supportTriage.name, `${HISTORY_KEY_PREFIX}0`);
  if (versionId === undefined) return { items: 0 };
  const classify = supportTriage.states.classify as { agent: { name: string; instructions: string } };
  const prompt = promptVersion(classify.agent.instructions, SUPPORT_LABELS);
  const rnd = mulberry32(options.seed ?? 2026);
  const tickets = generateLabelledSupportItems(days * perDay, 7_331);

  const rows = emptyHistoryRows();
  const other = (label: string) => SUPPORT_LABELS[(SUPPORT_LABELS.indexOf(label as never) + 1) % SUPPORT_LABELS.length];
  tickets.forEach((ticket, n) => {
    const day = Math.floor(n / perDay);
    const at = new Date(now - (days - day) * DAY + Math.floor(((n % perDay) / perDay) * DAY * 0.9));
    const model = historyModelOn(day, days);
    const right = rnd() < model.accuracy;
    const aiLabel = right ? ticket.label : (other(ticket.label) as string);
    // Confidence that tracks correctness imperfectly; under drift, wrong answers stay confident.
    const confidence = right ? 0.6 + 0.39 * rnd() : model.drifting ? 0.7 + 0.25 * rnd() : 0.35 + 0.45 * rnd();
    const routed = confidence < 0.75;
    const sampled = !routed && rnd() < AUDIT_RATE;
    const itemId = randomUUID();
    const decisionId = randomUUID();
    const runId = randomUUID();
    const latency = 1 + Math.floor(rnd() * 4);
    const decidedAt = new Date(at.getTime() + latency);
    const reviewedAt = new Date(decidedAt.getTime() + (5 + Math.floor(rnd() * 240)) * 60_000);
    const finishedAt = routed ? reviewedAt : new Date(decidedAt.getTime() + 50);
    const text = ticketText(ticket.input);
    const event = importedEvent(itemId, { simulatedAt: at.toISOString(), modelVersion: model.version });
    rows.audit.push(event);
    rows.items.push({
      id: itemId,
      workflow_name: supportTriage.name,
      workflow_version_id: versionId,
      idempotency_key: `${HISTORY_KEY_PREFIX}${n}`,
      input: JSON.stringify(ticket.input),
      context: JSON.stringify({ classify: { label: ticket.label, decidedBy: routed ? 'human' : 'ai' } }),
      status: 'succeeded',
      current_state: null,
      audit_seq: event.seq,
      audit_hash: event.hash,
      created_at: at,
      updated_at: finishedAt,
      finished_at: finishedAt,
    } as Insertable<DB['items']>);
    rows.runs.push({
      id: runId,
      item_id: itemId,
      state: 'classify',
      visit: 1,
      kind: 'decide',
      status: 'done',
      output: JSON.stringify({ label: routed ? ticket.label : aiLabel }),
      next_state: 'lookupCustomer',
      started_at: at,
      finished_at: finishedAt,
    });
    rows.runs.push({
      id: randomUUID(),
      item_id: itemId,
      state: 'lookupCustomer',
      visit: 1,
      kind: 'task',
      status: 'done',
      output: JSON.stringify({}),
      next_state: null,
      started_at: finishedAt,
      finished_at: new Date(finishedAt.getTime() + 20 + Math.floor(rnd() * 200)),
    });
    rows.decisions.push({
      id: decisionId,
      item_id: itemId,
      state_run_id: runId,
      state: 'classify',
      agent: classify.agent.name,
      provider: 'local',
      model: HISTORY_MODEL,
      model_version: model.version,
      prompt_version: prompt,
      input_hash: createHash('sha256').update(text).digest('hex'),
      input_text: text,
      output: JSON.stringify({ label: aiLabel, rationale: null }),
      label: aiLabel,
      confidence,
      confidence_method: 'posterior',
      calibrated_confidence: confidence,
      route: routed ? 'review' : sampled ? 'sampled' : 'auto',
      reasons: JSON.stringify(
        routed
          ? [{ code: 'low_confidence', message: `Confidence ${Math.round(confidence * 100)}% is below 75%` }]
          : sampled
            ? [{ code: 'qa_sample', message: 'Auto-accepted, and sampled for quality review (10% of such decisions)' }]
            : [],
      ),
      latency_ms: latency,
      tokens_in: null,
      tokens_out: null,
      cost_usd: 0,
      score: Math.log(confidence / (1 - confidence)),
      audit_probability: routed ? 1 : AUDIT_RATE,
      threshold: 0.75,
      created_at: decidedAt,
    });
    // A review point's task and verdict: `slot` of `required` (four-eyes: 2), `final` when its label
    // is the point's answer (see migration 0022), `adjudicated` for a lead's settling of a disagreement.
    const label = (
      reviewer: string,
      kind: 'decision' | 'qa' | 'adjudication',
      humanLabel: string,
      when: Date,
      point: { slot: number; required: number; final: boolean } = { slot: 1, required: 1, final: true },
    ) => {
      const taskId = randomUUID();
      const reviewId = randomUUID();
      rows.tasks.push({
        id: taskId,
        item_id: itemId,
        state: 'classify',
        visit: 1,
        decision_id: decisionId,
        queue: 'support',
        status: 'done',
        assignee_id: reviewer,
        labels: JSON.stringify(SUPPORT_LABELS),
        reasons: JSON.stringify([]),
        instructions: classify.agent.instructions,
        kind,
        slot: point.slot,
        reviewers_required: point.required,
        due_at: new Date(decidedAt.getTime() + 240 * 60_000),
        created_at: decidedAt,
        claimed_at: new Date(when.getTime() - 60_000),
        completed_at: when,
      } as Insertable<DB['review_tasks']>);
      const verdict = kind === 'adjudication' ? 'answer' : humanLabel === aiLabel ? 'confirm' : 'correct';
      rows.reviews.push({
        id: reviewId,
        task_id: taskId,
        reviewer_id: reviewer,
        verdict,
        label: humanLabel,
        created_at: when,
      });
      rows.labels.push({
        id: randomUUID(),
        item_id: itemId,
        state: 'classify',
        decision_id: decisionId,
        review_id: reviewId,
        workflow_name: supportTriage.name,
        workflow_version_id: versionId,
        agent: classify.agent.name,
        model: HISTORY_MODEL,
        model_version: model.version,
        prompt_version: prompt,
        input_text: text,
        ai_label: aiLabel,
        ai_confidence: confidence,
        human_label: humanLabel,
        is_correction: humanLabel !== aiLabel,
        reason: null,
        reviewer_id: reviewer,
        adjudicated: kind === 'adjudication',
        final: point.final,
        created_at: when,
      });
    };
    // People are right 97% of the time; the second of a double review agrees with the truth as often.
    const person = () => (rnd() < 0.97 ? ticket.label : (other(ticket.label) as string));
    const reviewer = rnd() < 0.5 ? first : second;
    const firstVerdict = routed || sampled ? person() : undefined;
    // Some routed decisions needed four eyes: two blind verdicts by different people, and a lead's
    // adjudication (the truth, here) when they disagree.
    const secondVerdict = routed && rnd() < 0.08 ? person() : undefined;
    const fourEyes = secondVerdict !== undefined && options.leadId !== undefined;
    if (firstVerdict !== undefined)
      label(
        reviewer,
        routed ? 'decision' : 'qa',
        firstVerdict,
        reviewedAt,
        fourEyes ? { slot: 1, required: 2, final: false } : undefined,
      );
    if (fourEyes && secondVerdict !== undefined) {
      const agreed = secondVerdict === firstVerdict;
      const at = (hours: number) => new Date(reviewedAt.getTime() + hours * 3_600_000);
      label(reviewer === first ? second : first, 'decision', secondVerdict, at(1), {
        slot: 2,
        required: 2,
        final: agreed,
      });
      if (!agreed) label(options.leadId as string, 'adjudication', ticket.label, at(2));
    }
  });

  await writeHistoryRows(db, rows);
  return { items: rows.items.length };
}

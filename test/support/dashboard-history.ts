import { randomUUID } from 'node:crypto';
import type { DB } from '@signoff/db';
import { upsertUser } from '@signoff/governance';
import type { Kysely } from 'kysely';

/**
 * Writes dashboard history row by row at chosen instants (items, state runs, decisions, review
 * tasks, reviews, labels), so a test's expected figures can be worked out by hand from its rows.
 */
export class DashboardHistory {
  private versions = new Map<string, string>();
  private visit = 0;
  constructor(private readonly db: Kysely<DB>) {}

  async reviewer(name: string): Promise<string> {
    const u = await upsertUser(this.db, {
      email: `${name.toLowerCase()}@dash.test`,
      name,
      role: 'reviewer',
      password: 'x',
    });
    return u.id;
  }

  private async version(workflow: string): Promise<string> {
    const known = this.versions.get(workflow);
    if (known) return known;
    const v = await this.db
      .insertInto('workflow_versions')
      .values({ name: workflow, version: 1, hash: randomUUID(), definition: '{}' })
      .returning('id')
      .executeTakeFirstOrThrow();
    this.versions.set(workflow, v.id);
    return v.id;
  }

  async item(
    workflow: string,
    o: { status?: 'running' | 'succeeded' | 'rejected' | 'failed'; finishedAt?: string } = {},
  ): Promise<string> {
    const row = await this.db
      .insertInto('items')
      .values({
        workflow_name: workflow,
        workflow_version_id: await this.version(workflow),
        input: '{}',
        status: o.status ?? 'running',
        finished_at: o.finishedAt ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async stateRun(
    itemId: string,
    state: string,
    o: { startedAt: string; finishedAt: string; status?: 'done' | 'waiting' },
  ): Promise<string> {
    const row = await this.db
      .insertInto('state_runs')
      .values({
        item_id: itemId,
        state,
        visit: ++this.visit,
        kind: 'decide',
        status: o.status ?? 'done',
        output: null,
        next_state: null,
        started_at: o.startedAt,
        finished_at: o.finishedAt,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** A decision (and its item and state run) of workflow `workflow`, state `classify` unless told. */
  async decision(o: {
    at: string;
    workflow?: string;
    state?: string;
    modelVersion?: string;
    route: 'auto' | 'review' | 'sampled';
    /** Audit probability; null: a decision from before migration 0013. */
    pi: number | null;
    /** The AI's label; null: the call failed. */
    label: string | null;
    confidence?: number;
    calibrated?: number;
    /** A structured decision: each leaf field's confidence (recorded as `output.fields`). */
    fields?: Record<string, number>;
  }): Promise<{
    id: string;
    itemId: string;
    workflow: string;
    state: string;
    modelVersion: string;
    label: string | null;
  }> {
    const workflow = o.workflow ?? 'wf-a';
    const state = o.state ?? 'classify';
    const modelVersion = o.modelVersion ?? 'v1';
    const itemId = await this.item(workflow);
    // The run is `waiting` so that decisions never count in time per state.
    const runId = await this.stateRun(itemId, state, { startedAt: o.at, finishedAt: o.at, status: 'waiting' });
    const row = await this.db
      .insertInto('decisions')
      .values({
        item_id: itemId,
        state_run_id: runId,
        state,
        agent: 'agent',
        provider: 'local',
        model: 'model',
        model_version: modelVersion,
        prompt_version: 'p1',
        input_hash: randomUUID(),
        input_text: 'text',
        output: JSON.stringify(
          o.fields
            ? {
                fields: Object.fromEntries(
                  Object.entries(o.fields).map(([k, c]) => [k, { confidence: c, score: 0, method: 'posterior' }]),
                ),
              }
            : {},
        ),
        label: o.label,
        confidence: o.confidence ?? o.calibrated ?? 0.5,
        confidence_method: 'posterior',
        calibrated_confidence: o.calibrated ?? o.confidence ?? 0.5,
        route: o.route,
        latency_ms: 1,
        tokens_in: 100,
        tokens_out: 10,
        cost_usd: 0.01,
        audit_probability: o.pi,
        created_at: o.at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: row.id, itemId, workflow, state, modelVersion, label: o.label };
  }

  /** A review task at chosen times; `done` when `completedAt` is given. */
  async task(o: {
    itemId: string;
    state?: string;
    queue: string;
    kind?: 'decision' | 'review' | 'qa';
    createdAt: string;
    completedAt?: string;
    status?: 'pending' | 'claimed' | 'done';
    dueAt?: string;
  }): Promise<string> {
    const row = await this.db
      .insertInto('review_tasks')
      .values({
        item_id: o.itemId,
        state: o.state ?? 'classify',
        visit: ++this.visit,
        queue: o.queue,
        kind: o.kind ?? 'decision',
        status: o.status ?? (o.completedAt ? 'done' : 'pending'),
        labels: '["yes","no"]',
        instructions: '',
        created_at: o.createdAt,
        completed_at: o.completedAt ?? null,
        due_at: o.dueAt ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /**
   * A person's label (with the done task and review it came from, dated 2025-06 so they stay out
   * of the review-volume and queue windows) on a decision, or on an item's review state.
   */
  async label(o: {
    reviewerId: string;
    human: string;
    at: string;
    decision?: {
      id: string;
      itemId: string;
      workflow: string;
      state: string;
      modelVersion: string;
      label: string | null;
    };
    item?: { itemId: string; workflow: string; state: string };
    adjudicated?: boolean;
    /** A structured label: the leaf fields the person changed. */
    changedFields?: string[];
    /** False: another verdict of a multi-reviewer point, not its answer. */
    final?: boolean;
  }): Promise<void> {
    const target = o.decision ?? o.item;
    if (!target) throw new Error('label: give a decision or an item');
    const taskId = await this.task({
      itemId: target.itemId,
      state: target.state,
      queue: 'label-history',
      createdAt: '2025-06-01T00:00:00Z',
      completedAt: '2025-06-01T00:00:00Z',
    });
    const review = await this.db
      .insertInto('reviews')
      .values({ task_id: taskId, reviewer_id: o.reviewerId, verdict: 'answer', label: o.human })
      .returning('id')
      .executeTakeFirstOrThrow();
    const ai = o.decision?.label ?? null;
    await this.db
      .insertInto('labels')
      .values({
        item_id: target.itemId,
        state: target.state,
        decision_id: o.decision?.id ?? null,
        review_id: review.id,
        workflow_name: target.workflow,
        workflow_version_id: await this.version(target.workflow),
        agent: o.decision ? 'agent' : null,
        model: o.decision ? 'model' : null,
        model_version: o.decision?.modelVersion ?? null,
        prompt_version: o.decision ? 'p1' : null,
        input_text: 'text',
        ai_label: ai,
        ai_confidence: null,
        human_label: o.human,
        is_correction: ai !== null && ai !== o.human,
        reviewer_id: o.reviewerId,
        adjudicated: o.adjudicated ?? false,
        final: o.final ?? true,
        changed_fields: o.changedFields ?? null,
        field_changes: o.changedFields ? JSON.stringify(o.changedFields.map((field) => ({ field }))) : null,
        created_at: o.at,
      })
      .execute();
  }
}

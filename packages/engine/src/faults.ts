import type { OutcomeKind } from './plan-types';
import type { StepJob } from './queue';

/**
 * Named instants in a transition where a test can make the process crash:
 * - `after-effect`: a job's work (AI call, side effect, branch) is done, nothing is committed;
 * - `before-commit`: inside the transition's transaction, after every write, before COMMIT
 *   (once per transition written, whichever entry point made it).
 * Production code never sets a fault hook; tests do, to prove a crash at each instant leaves
 * either the old state (the job is retried) or the new one.
 */
export type FaultPoint = 'after-effect' | 'before-commit';

/** Which transition reached a fault point. */
export interface FaultContext {
  itemId: string;
  outcome: OutcomeKind;
  job?: StepJob;
}

export type FaultHook = (point: FaultPoint, at: FaultContext) => void | Promise<void>;

import type { StepJob } from './queue';

/**
 * Named instants in a state run where a test can make the worker crash:
 * - `after-effect`: the state's work (AI call, side effect) is done, nothing is committed;
 * - `before-commit`: inside the transition's transaction, after every write, before COMMIT.
 * Production code never sets a fault hook; tests do, to prove a crash at each instant leaves
 * either the old state (the job is retried) or the new one.
 */
export type FaultPoint = 'after-effect' | 'before-commit';

export type FaultHook = (point: FaultPoint, job: StepJob) => void | Promise<void>;

// The dashboards' queries (`@signoff/insights`), one procedure each. Who sees what follows their work:
// - operations (queue depth and age, review volume, throughput): reviewers and their leads, data
//   scientists, admins (`dashboard:operations`);
// - quality (accuracy, automation, overrides, agreement, AI cost): compliance, data scientists,
//   admins (`metrics:read`, as the trust read models);
// - diagnostics (confusion matrix, reliability and ECE, time per state): data scientists and admins
//   (`dashboard:diagnostics`).
import {
  accuracyOverTime,
  accuracyOverTimeInput,
  aiUsage,
  automationRate,
  bucketedFilter,
  calibrationInput,
  calibrationReport,
  confusionMatrix,
  dashboardFilter,
  dashboardOptions,
  fieldAccuracy,
  fieldAccuracyInput,
  fieldCalibration,
  fieldCalibrationInput,
  fieldOptions,
  fieldOptionsInput,
  overridesPerReviewer,
  queueHealth,
  queueHealthInput,
  reviewerAgreement,
  reviewVolume,
  reviewVolumeInput,
  stateTimes,
  throughput,
  throughputInput,
} from '@signoff/insights';
import { requirePermission, router } from './trpc';

export const dashboards = router({
  /** What the filters offer: workflows, states and model versions. */
  options: requirePermission('item:read').query(({ ctx }) => dashboardOptions(ctx.db)),
  /** Accuracy against human labels per workflow, state, model version and day or week, with exact intervals. */
  accuracy: requirePermission('metrics:read')
    .input(accuracyOverTimeInput)
    .query(({ ctx, input }) => accuracyOverTime(ctx.db, input)),
  /** The AI's label against the person's, one label per decision. */
  confusion: requirePermission('dashboard:diagnostics')
    .input(dashboardFilter)
    .query(({ ctx, input }) => confusionMatrix(ctx.db, input)),
  /** Reliability diagram and expected calibration error. */
  calibration: requirePermission('dashboard:diagnostics')
    .input(calibrationInput)
    .query(({ ctx, input }) => calibrationReport(ctx.db, input)),
  /** The structured decide states and their leaf fields (the field picker). */
  fields: requirePermission('item:read')
    .input(fieldOptionsInput)
    .query(({ ctx, input }) => fieldOptions(ctx.db, input)),
  /** Accuracy of each leaf field of structured decisions (automated path by Horvitz-Thompson, and routed). */
  fieldAccuracy: requirePermission('metrics:read')
    .input(fieldAccuracyInput)
    .query(({ ctx, input }) => fieldAccuracy(ctx.db, input)),
  /** Reliability diagram and ECE of a leaf field's confidence against its correctness. */
  fieldCalibration: requirePermission('dashboard:diagnostics')
    .input(fieldCalibrationInput)
    .query(({ ctx, input }) => fieldCalibration(ctx.db, input)),
  /** Share of decisions accepted without a person, per day or week. */
  automation: requirePermission('metrics:read')
    .input(bucketedFilter)
    .query(({ ctx, input }) => automationRate(ctx.db, input)),
  /** Review tasks created and completed per day or week. */
  reviewVolume: requirePermission('dashboard:operations')
    .input(reviewVolumeInput)
    .query(({ ctx, input }) => reviewVolume(ctx.db, input)),
  /** Open tasks per queue and the age of the oldest. */
  queues: requirePermission('dashboard:operations')
    .input(queueHealthInput)
    .query(({ ctx, input }) => queueHealth(ctx.db, input)),
  /** p50 and p95 time per state, and the state where items spend the most time. */
  stateTimes: requirePermission('dashboard:diagnostics')
    .input(dashboardFilter)
    .query(({ ctx, input }) => stateTimes(ctx.db, input)),
  /** Items finished per hour or day. */
  throughput: requirePermission('dashboard:operations')
    .input(throughputInput)
    .query(({ ctx, input }) => throughput(ctx.db, input)),
  /** Corrections among each reviewer's verdicts on AI decisions. */
  overrides: requirePermission('metrics:read')
    .input(dashboardFilter)
    .query(({ ctx, input }) => overridesPerReviewer(ctx.db, input)),
  /** Cohen's kappa between the two people of each item reviewed twice. */
  agreement: requirePermission('metrics:read')
    .input(dashboardFilter)
    .query(({ ctx, input }) => reviewerAgreement(ctx.db, input)),
  /** AI calls, tokens and estimated cost per workflow and day. */
  usage: requirePermission('metrics:read')
    .input(dashboardFilter)
    .query(({ ctx, input }) => aiUsage(ctx.db, input)),
});

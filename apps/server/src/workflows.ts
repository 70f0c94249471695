import type { WorkflowDefinition } from '@signoff/core';
import { supportTriage, vendorOnboarding } from './demo';

/** The workflows this server registers at start. */
export const WORKFLOWS: WorkflowDefinition[] = [supportTriage, vendorOnboarding];

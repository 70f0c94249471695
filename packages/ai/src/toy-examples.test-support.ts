// A toy training set shared by the classifiers' unit tests.
import type { LabelledExample } from './text-classifier';

export const TOY_LABELS = ['refund', 'shipping', 'other'] as const;

/** Three refund and three shipping requests; no example of `other`. */
export const TOY_EXAMPLES: readonly LabelledExample[] = [
  { text: 'I want a refund for my broken kettle', label: 'refund' },
  { text: 'Please refund my money, the item arrived damaged', label: 'refund' },
  { text: 'Can I get my money back?', label: 'refund' },
  { text: 'Where is my parcel? The tracking number shows nothing', label: 'shipping' },
  { text: 'My package has not been delivered yet', label: 'shipping' },
  { text: 'When will the courier deliver my order?', label: 'shipping' },
];

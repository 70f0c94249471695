import type { SupportTier } from './support-triage';

export type SupportTeam = 'billing' | 'engineering' | 'accounts' | 'support';
export type HandoffPriority = 'low' | 'normal' | 'high';

export interface Handoff {
  team: SupportTeam;
  priority: HandoffPriority;
}

const TEAM_BY_LABEL: Record<string, SupportTeam> = {
  billing: 'billing',
  bug: 'engineering',
  account: 'accounts',
};

// Words that mean the customer is blocked right now, in the languages the desk receives.
const URGENT =
  /\b(urgent|urgently|asap|immediately|right now|outage|down|blocked|blocking|production|cannot work|can't work|deadline|critical|emergency|dringend|sofort|notfall|urgente|inmediato|inmediatamente|bloqueado)\b/i;

/** True when the text says the customer is blocked or in a hurry. */
export function soundsUrgent(text: string): boolean {
  return URGENT.test(text);
}

/**
 * Which team takes a ticket the workflow did not answer itself, and how soon.
 * Urgency raises the priority one step; enterprise customers are never below normal.
 *
 * @example
 * handoffFor('bug', 'pro', 'Export fails with 500, production is blocked'); // => { team: 'engineering', priority: 'high' }
 */
export function handoffFor(label: string, tier: SupportTier, text: string): Handoff {
  const team = TEAM_BY_LABEL[label] ?? 'support';
  const base: Record<SupportTier, number> = { free: 0, pro: 1, enterprise: 1 };
  let level = base[tier] + (soundsUrgent(text) ? 1 : 0);
  if (tier === 'enterprise' && level < 2 && label === 'bug') level += 1;
  const priorities: HandoffPriority[] = ['low', 'normal', 'high'];
  return { team, priority: priorities[Math.min(level, 2)] ?? 'normal' };
}

import type { SupportTier, SupportTriageInput } from './support-triage';

/** What the demo "CRM" knows about a customer. */
export interface CrmRecord {
  customerId: string;
  tier: SupportTier;
  lifetimeValue: number;
  /** Tickets of this customer that are still open, this one excluded. */
  openTickets: number;
  /** Tickets opened in the last 90 days, this one excluded. */
  recentTickets: number;
  /** Contractual first-response time in hours. */
  sla: number;
  /** Several contacts in a short time: the customer is likely running out of patience. */
  repeatContact: boolean;
}

const SLA_HOURS: Record<SupportTier, number> = { free: 72, pro: 24, enterprise: 4 };

/** 32-bit FNV-1a: stable across runs and platforms, which is all the demo CRM needs. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The CRM record of the ticket's customer, derived from the customer id so the same customer
 * always has the same history. Stands in for a real CRM call; does no I/O.
 *
 * @example
 * crmRecordFor(input); // => { customerId: 'cus_8f2k', tier: 'pro', openTickets: 1, recentTickets: 3, sla: 24, ... }
 */
export function crmRecordFor(input: SupportTriageInput): CrmRecord {
  const h = fnv1a(input.customer.id);
  const openTickets = h % 4;
  const recentTickets = openTickets + ((h >>> 8) % 5);
  return {
    customerId: input.customer.id,
    tier: input.customer.tier,
    lifetimeValue: input.customer.lifetimeValue,
    openTickets,
    recentTickets,
    sla: SLA_HOURS[input.customer.tier],
    repeatContact: recentTickets >= 4,
  };
}

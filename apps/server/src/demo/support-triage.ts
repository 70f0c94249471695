import { type DecisionOutput, defineWorkflow, type WorkflowContext } from '@signoff/core';
import { z } from 'zod';
import { type CrmRecord, crmRecordFor } from './support-crm';
import { handoffFor } from './support-handoff';
import { pickArticle } from './support-knowledge-base';

/** The categories the classifier chooses from, in the order the agent is told about them. */
export const SUPPORT_LABELS = ['billing', 'bug', 'account', 'how_to', 'complaint'] as const;
export type SupportLabel = (typeof SUPPORT_LABELS)[number];

export const SUPPORT_TIERS = ['free', 'pro', 'enterprise'] as const;
export type SupportTier = (typeof SUPPORT_TIERS)[number];

export const SUPPORT_CHANNELS = ['email', 'chat', 'web'] as const;
export type SupportChannel = (typeof SUPPORT_CHANNELS)[number];

/** Refunds above this many USD are never settled on the AI's word alone. */
export const REFUND_REVIEW_LIMIT_USD = 200;
/** Refunds above this need two independent reviewers (four-eyes), and a lead when they disagree. */
export const REFUND_FOUR_EYES_USD = 1000;

/** The verdicts a support lead can give on an escalated ticket. */
export const ESCALATION_LABELS = ['resolved', 'needs_manager', 'refund_approved'] as const;

// A pragmatic BCP-47 shape: a 2-3 letter primary language, then optional subtags (de-AT, zh-Hant-TW).
const BCP47 = /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/;

/**
 * One support inquiry as it arrives from the help desk.
 *
 * @example
 * supportTriageInput.parse({
 *   ticketId: 'SUP-1042', channel: 'email', language: 'en', subject: 'Charged twice', body: 'I was billed twice for May.',
 *   customer: { id: 'cus_8f2k', name: 'Ada Park', email: 'ada@example.com', tier: 'pro', lifetimeValue: 1240 },
 *   refundAmount: 49,
 * });
 */
export const supportTriageInput = z.object({
  ticketId: z.string().min(1),
  channel: z.enum(SUPPORT_CHANNELS),
  language: z.string().regex(BCP47, 'must be a BCP-47 language tag such as en, de or es-MX'),
  subject: z.string().min(1).max(200),
  body: z.string().min(1).max(5000),
  customer: z.object({
    id: z.string().min(1),
    name: z.string().min(1),
    email: z.email(),
    tier: z.enum(SUPPORT_TIERS),
    lifetimeValue: z.number().nonnegative(),
  }),
  /** Amount the customer asks back, in USD. */
  refundAmount: z.number().nonnegative().optional(),
});
export type SupportTriageInput = z.infer<typeof supportTriageInput>;
export type SupportContext = WorkflowContext<SupportTriageInput>;

/** True for English tags (en, en-GB, EN-us); everything else is treated as a foreign-language inquiry. */
export function isEnglish(language: string): boolean {
  return language.split('-')[0]?.toLowerCase() === 'en';
}

/** The text the classifier reads, also used by the tasks that match on keywords. */
export function ticketText(input: SupportTriageInput): string {
  return `${input.subject}\n\n${input.body}`;
}

/** The customer's tier as the CRM reports it, falling back to the ticket's before the lookup ran. */
function tierOf(ctx: SupportContext): SupportTier {
  const crm = ctx.lookupCustomer as CrmRecord | undefined;
  return crm?.tier ?? ctx.input.customer.tier;
}

const CLASSIFIER_INSTRUCTIONS = `You triage inbound customer-support inquiries for a SaaS product. Read the subject and body and choose exactly one label for what the customer needs from us.

Labels:
- billing: money and plans. Charges, invoices, receipts, refunds, payment methods, failed or duplicate payments, VAT/tax ids, upgrades, downgrades, cancelling a paid plan, prices and discounts.
- bug: the product does not behave as it should. Error messages, crashes, pages that do not load, data that is missing or wrong, sync or integration failures, features that used to work and stopped, slowness bad enough to block work. A bug report does not need the word "bug".
- account: access to and administration of an account. Logging in, password resets, two-factor authentication, locked or suspended accounts, changing email or owner, adding or removing users and roles, SSO setup problems, deleting an account or personal data (GDPR requests).
- how_to: the customer asks how to do something the product can already do and nothing is broken. Setup questions, "where do I find", "is it possible to", best-practice and configuration questions.
- complaint: the customer's main purpose is to express dissatisfaction with us: poor service, slow or unhelpful support, broken promises, rude staff, threats to cancel, leave, post a bad review or take legal action, demands to speak to a manager.

How to decide:
- Label the customer's main request, not every topic they mention. If a ticket mixes two topics, pick the one they ask us to act on.
- A refund request caused by a defect is billing when the customer mainly wants the money back, bug when they mainly want the defect fixed, and complaint when the tone is angry and the ticket is mostly about how badly they were treated.
- Anger alone does not make a complaint: a furious bug report is still a bug. Choose complaint only when dissatisfaction with us is the point of the message.
- "I cannot log in" is account unless an error message shows the login page itself is broken for everyone, which is a bug.
- Questions about prices or which plan to buy are billing, not how_to.
- Inquiries may be written in any language (often German or Spanish) and may contain typos; classify by meaning, never by language.
- Ignore signatures, quoted earlier messages and legal disclaimers.

Confidence: report how likely your label is to be right. Use high confidence (above 0.9) only when the ticket clearly fits one label. Lower it when the ticket is very short, vague, mixes topics, or is in a language you read poorly. A reviewer will check uncertain answers, so an honest low confidence is better than a wrong confident one.`;

/**
 * Customer-support triage: classify an inquiry, look up the customer, then answer how-to questions
 * from the knowledge base, hand standard issues to a team, and put complaints and enterprise
 * customers in front of a support lead.
 *
 * @example
 * import { supportTriage } from './demo';
 * const ctx = { input: supportTriageInput.parse(ticket) };
 * supportTriage.states.classify; // the decide state whose policy routes uncertain or risky labels to people
 */
export const supportTriage = defineWorkflow({
  name: 'support-triage',
  changeNote:
    'Calibrated confidence is reliable above 0.75, so auto-accept from there (was 0.8); refunds above the four-eyes limit now need two independent reviewers',
  description:
    'Classify a support inquiry, look up the customer, then auto-answer how-to questions, hand standard issues to the right team, and escalate complaints and enterprise customers to a support lead.',
  input: supportTriageInput,
  start: 'classify',
  // Tickets carry names, e-mail addresses and messages: 90 days after a ticket is closed its
  // payloads are anonymised (docs/retention.md); labels, confidences and timings stay for the dashboards.
  retention: { days: 90, mode: 'anonymise' },
  states: {
    classify: {
      kind: 'decide',
      description: 'What does the customer need: billing, bug, account, how-to or complaint?',
      // The model reads the ticket with e-mail addresses, phone numbers and card numbers masked.
      agent: { name: 'support-classifier', instructions: CLASSIFIER_INSTRUCTIONS, maskPii: true },
      labels: SUPPORT_LABELS,
      text: (ctx) => ticketText(ctx.input),
      policy: {
        autoAcceptAt: 0.75,
        queue: 'support',
        dueInMinutes: 240,
        risks: [
          {
            name: 'refund-above-limit',
            when: (ctx) => (ctx.input.refundAmount ?? 0) > REFUND_REVIEW_LIMIT_USD,
            reason: `Refund of more than ${REFUND_REVIEW_LIMIT_USD} USD requested: a person must confirm the classification before any refund is handled`,
            queue: 'refunds',
          },
          {
            name: 'refund-four-eyes',
            when: (ctx) => (ctx.input.refundAmount ?? 0) > REFUND_FOUR_EYES_USD,
            reason: `Refund of more than ${REFUND_FOUR_EYES_USD} USD requested: two reviewers confirm the classification independently (four-eyes), and a lead settles it if they disagree`,
            queue: 'refunds',
            reviewers: 2,
          },
          {
            name: 'enterprise-complaint',
            when: (ctx, output) => ctx.input.customer.tier === 'enterprise' && output.label === 'complaint',
            reason: 'Complaint from an enterprise customer: a support lead should see it before anything is sent',
            queue: 'priority',
          },
          {
            name: 'non-english',
            when: (ctx) => !isEnglish(ctx.input.language),
            reason: 'Non-English inquiry: check the classification',
            queue: 'support',
          },
        ],
      },
      next: 'lookupCustomer',
    },
    lookupCustomer: {
      kind: 'task',
      description: "Fetch the customer's tier, open tickets and SLA from the CRM.",
      run: (ctx) => crmRecordFor(ctx.input),
      next: 'route',
    },
    route: {
      kind: 'choice',
      description:
        'Auto-answer simple how-to questions, escalate complaints and enterprise customers, hand off the rest.',
      branches: [
        {
          label: 'complaint or enterprise customer',
          when: (ctx) => (ctx.classify as DecisionOutput).label === 'complaint' || tierOf(ctx) === 'enterprise',
          next: 'escalationReview',
        },
        {
          label: 'how-to question',
          when: (ctx) => (ctx.classify as DecisionOutput).label === 'how_to' && tierOf(ctx) !== 'enterprise',
          next: 'autoAnswer',
        },
      ],
      otherwise: 'handoff',
    },
    autoAnswer: {
      kind: 'task',
      description: 'Answer from the knowledge base with the best-matching article.',
      run: (ctx) => {
        const article = pickArticle(ticketText(ctx.input));
        const firstName = ctx.input.customer.name.split(' ')[0] ?? ctx.input.customer.name;
        const languageNote = isEnglish(ctx.input.language)
          ? ''
          : '\n\nWe have answered in English; reply in your own language if anything is unclear and a colleague will follow up.';
        return {
          articleId: article.id,
          replySubject: `Re: ${ctx.input.subject}`.slice(0, 200),
          replyBody: `Hi ${firstName},\n\nThanks for reaching out. ${article.answer}\n\nThe full guide is here: ${article.url}${languageNote}\n\nIf this does not solve it, just reply to this message and a person from our team will pick it up.\n\nBest regards,\nThe Support Team`,
        };
      },
      next: 'resolved',
    },
    handoff: {
      kind: 'task',
      description: 'Assign the ticket to the right team with a priority from the label, tier and urgency.',
      run: (ctx) => handoffFor((ctx.classify as DecisionOutput).label, tierOf(ctx), ticketText(ctx.input)),
      next: 'resolved',
    },
    escalationReview: {
      kind: 'review',
      description: 'A support lead handles complaints and enterprise customers.',
      queue: 'priority',
      labels: ESCALATION_LABELS,
      instructions:
        'You are the support lead for this ticket. Read it in full and check the customer record. Reply to the customer or fix the issue, then choose: "resolved" when the customer has what they need; "refund_approved" when you approved a refund (check the amount against the invoice and the refund policy first; amounts above 200 USD need a note explaining why); "needs_manager" when it needs a manager: legal threats, a likely churn of a high-value account, or anything you cannot decide yourself. Write a short rationale; the next person reads it.',
      show: (ctx) => {
        const crm = ctx.lookupCustomer as CrmRecord | undefined;
        return {
          ticketId: ctx.input.ticketId,
          customer: `${ctx.input.customer.name} <${ctx.input.customer.email}>`,
          tier: tierOf(ctx),
          lifetimeValue: ctx.input.customer.lifetimeValue,
          openTickets: crm?.openTickets,
          label: (ctx.classify as DecisionOutput).label,
          refund: ctx.input.refundAmount ?? null,
          subject: ctx.input.subject,
        };
      },
      dueInMinutes: 120,
      next: 'followUp',
    },
    followUp: {
      kind: 'choice',
      description: 'Hand over to a manager when the lead asked for one.',
      branches: [
        {
          label: 'needs a manager',
          when: (ctx) => (ctx.escalationReview as DecisionOutput | undefined)?.label === 'needs_manager',
          next: 'escalated',
        },
      ],
      otherwise: 'resolved',
    },
    resolved: {
      kind: 'final',
      status: 'succeeded',
      description: 'Answered, handed to a team, or settled by a support lead.',
      output: (ctx) => ({
        ticketId: ctx.input.ticketId,
        label: (ctx.classify as DecisionOutput).label,
        resolution: ctx.autoAnswer ? 'auto_answered' : ctx.handoff ? 'handed_off' : 'lead_resolved',
        articleId: ctx.autoAnswer?.articleId,
        team: ctx.handoff?.team,
        leadVerdict: (ctx.escalationReview as DecisionOutput | undefined)?.label,
      }),
    },
    escalated: {
      kind: 'final',
      status: 'succeeded',
      description: 'Handed over to a support manager.',
      output: (ctx) => {
        const review = ctx.escalationReview as DecisionOutput;
        return {
          ticketId: ctx.input.ticketId,
          handedOverTo: 'support-manager',
          customer: { id: ctx.input.customer.id, name: ctx.input.customer.name, tier: tierOf(ctx) },
          label: (ctx.classify as DecisionOutput).label,
          refundAmount: ctx.input.refundAmount ?? null,
          reason: review.rationale ?? 'The support lead asked for a manager.',
        };
      },
    },
  },
});

// Contract clauses of the vendor onboarding demo: the company's contract policy (what makes a
// clause risky), the clauses the demo's vendors propose (ground truth for the generator), and the
// hand-written examples the built-in clause classifier starts from, worded apart from the
// generator's so the model is not just memorising them.

/** The clause classifier's labels: `risky` sends the clause, alone, to legal. */
export const CLAUSE_LABELS = ['standard', 'risky'] as const;
export type ClauseLabel = (typeof CLAUSE_LABELS)[number];

/** What legal can answer on a risky clause. */
export const LEGAL_LABELS = ['accept', 'strike', 'reject_vendor'] as const;
export type LegalLabel = (typeof LEGAL_LABELS)[number];

/** The company's contract policy, as the clause agent and legal read it. */
export const CONTRACT_POLICY = `Our contract policy for new vendors. A clause is risky when it does any of these:
- makes our liability unlimited, or caps the vendor's liability below the fees of twelve months;
- renews automatically for more than one year, or needs more than 90 days' notice to cancel;
- binds us to buy only from this vendor (exclusivity) or to minimum purchase volumes;
- lets the vendor raise prices at its discretion or without 60 days' notice;
- lets the vendor share our data with affiliates or third parties, or keep it after termination;
- puts governing law or exclusive venue outside the United States, the United Kingdom or the EU;
- makes us indemnify the vendor one-sidedly, or charges a fee for terminating early.
Everything else (payment terms, mutual confidentiality, termination on 30 days' notice, liability capped at twelve months of fees, warranties, insurance) is standard.`;

export interface ProposedClause {
  text: string;
  risky: boolean;
}

/** Standard clauses the demo's vendors propose. */
export const STANDARD_CLAUSES: readonly string[] = [
  'Invoices are payable within the agreed payment terms; late amounts bear interest of 1% per month.',
  'Each party keeps the other party’s confidential information secret for three years after termination.',
  'Either party may terminate this agreement for convenience on 30 days’ written notice.',
  'The total liability of either party is limited to the fees paid in the twelve months before the claim.',
  'This agreement is governed by the laws of the State of Delaware.',
  'The vendor warrants that the services will be performed in a professional and workmanlike manner.',
  'The vendor maintains general liability insurance of at least USD 1,000,000 during the term.',
  'Deliveries are made DAP to the customer’s site; risk passes on delivery.',
  'Prices are fixed for the initial term of twelve months.',
  'The vendor processes personal data only on the customer’s documented instructions.',
];

/** Risky clauses the demo's vendors propose, each breaking one rule of the policy. */
export const RISKY_CLAUSES: readonly string[] = [
  'The customer’s liability under this agreement is unlimited; the vendor’s liability shall not exceed USD 500.',
  'This agreement renews automatically for successive three-year terms unless cancelled 180 days before renewal.',
  'The customer shall purchase all of its requirements for these goods exclusively from the vendor.',
  'The vendor may adjust its prices at any time at its sole discretion by posting new rates.',
  'The vendor may share customer data with its affiliates and selected partners for marketing purposes.',
  'This agreement is governed by the laws of the Cayman Islands, whose courts have exclusive jurisdiction.',
  'The customer shall indemnify the vendor against all claims arising from the services, however caused.',
  'If the customer terminates early, it shall pay all fees for the remainder of the term as liquidated damages.',
  'The vendor may retain and use customer data indefinitely after termination.',
  'The customer commits to a minimum purchase volume of USD 250,000 per year.',
];

/**
 * Examples the built-in clause classifier starts from (seed examples of `contract-clause-reader`):
 * twelve per label, written apart from the clauses above.
 *
 * @example
 * await addSeedExamples(db, 'contract-clause-reader', vendorClauseSeedExamples);
 */
export const vendorClauseSeedExamples: readonly { text: string; label: ClauseLabel }[] = [
  ...[
    'Payment under this agreement is due thirty days after the customer receives a correct invoice.',
    'Both parties shall treat non-public information of the other party as confidential.',
    'This agreement may be ended by either party with one month of written notice.',
    'Neither party is liable for more than the amounts the customer paid in the preceding twelve months.',
    'The laws of the State of New York govern this agreement.',
    'The vendor guarantees its work is free from defects for ninety days.',
    'The vendor shall hold professional indemnity insurance throughout the engagement.',
    'Title and risk in the goods pass to the customer on delivery to the named place.',
    'Rates under this agreement stay unchanged during the first contract year.',
    'The vendor handles personal data only as the customer instructs and deletes it on request.',
    'Each party shall comply with applicable anti-bribery laws.',
    'Notices under this agreement are given in writing to the addresses above.',
  ].map((text) => ({ text, label: 'standard' as const })),
  ...[
    'The customer accepts unlimited liability, while the vendor liability shall not exceed one hundred dollars.',
    'This agreement renews automatically for five-year terms unless cancelled one year before renewal.',
    'The customer may not buy similar services from anyone else: it purchases exclusively from the vendor.',
    'The vendor may change its prices at its sole discretion without notice to the customer.',
    'The vendor may share customer data with its affiliates, partners and other third parties.',
    'All disputes fall under the exclusive jurisdiction of the courts of Macau under Macanese law.',
    'The customer shall indemnify and hold the vendor harmless from all claims, including the vendor’s own negligence.',
    'If the customer terminates early it pays a termination fee equal to all remaining fees as liquidated damages.',
    'The vendor may retain customer records indefinitely and use them for its own purposes after termination.',
    'The customer commits to a minimum purchase volume of one million dollars every year.',
    'The vendor’s liability is excluded entirely, whatever the cause.',
    'Renewal is automatic for three years; notice of cancellation must reach the vendor 270 days in advance.',
  ].map((text) => ({ text, label: 'risky' as const })),
];

/**
 * Words of the policy's topics (liability, renewal, exclusivity, pricing, data, jurisdiction,
 * indemnity, termination fees): a clause naming one is never waved through as standard on the
 * clause agent's word alone.
 */
export const POLICY_TOPIC =
  /unlimited|exclusiv|indemnif|automatic|renew|discretion|affiliates|third part|retain|indefinite|minimum purchase|liquidated|jurisdiction|shall not exceed/i;

/** One clause the loop has looked at, and what became of it. */
export interface ClauseOutcome {
  clause: string;
  risk: ClauseLabel;
  /** Legal's answer on a risky clause. */
  legal?: LegalLabel;
  legalNote?: string;
}

/** Where the clause loop stands: the next clause to look at (absent when done) and what was found so far. */
export interface ClauseProgress {
  /** Index of `clause` in the record's clauses. */
  index: number;
  clause?: string;
  done: boolean;
  outcomes: ClauseOutcome[];
}

/** The answers of the states the loop went through since it last stood at a clause. */
export interface ClauseAnswers {
  risk?: { label: string } | undefined;
  legal?: { label: string; rationale?: string | undefined } | undefined;
}

/**
 * The next step of the clause loop: records what the previous clause's classification (and, for
 * a risky one, legal's review) gave, and picks the next clause of the record. Pure, so a retry or a
 * replay of the task gives the same answer.
 *
 * @example
 * nextClause(['Net 30.', 'Unlimited liability.'], undefined, {});
 * // => { index: 0, clause: 'Net 30.', done: false, outcomes: [] }
 */
export function nextClause(
  clauses: readonly string[],
  previous: ClauseProgress | undefined,
  answers: ClauseAnswers,
): ClauseProgress {
  const outcomes = [...(previous?.outcomes ?? [])];
  if (previous?.clause !== undefined) {
    const risk: ClauseLabel = answers.risk?.label === 'risky' ? 'risky' : 'standard';
    const legal = risk === 'risky' ? (answers.legal?.label as LegalLabel | undefined) : undefined;
    outcomes.push({
      clause: previous.clause,
      risk,
      ...(legal ? { legal } : {}),
      ...(legal && answers.legal?.rationale ? { legalNote: answers.legal.rationale } : {}),
    });
  }
  const index = previous ? previous.index + (previous.clause !== undefined ? 1 : 0) : 0;
  const clause = clauses[index];
  return clause === undefined ? { index, done: true, outcomes } : { index, clause, done: false, outcomes };
}

// Customer onboarding (KYC) for a payments company: screen the application against sanctions,
// let an AI agent flag its risk, fast-track low risk, send high risk to the enhanced due diligence
// team, verify the identity document with a third-party service (which times out and fails) while
// the compliance checks run, then open the account. A workflow module of your own: it lives outside
// the Signoff checkout and imports `@signoff/core` and `zod` by name. See README.md.
import { createHash } from 'node:crypto';
import { type DecisionOutput, defineWorkflow } from '@signoff/core';
import { z } from 'zod';

const country = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code such as DE');

/** An application as the onboarding form posts it. */
export const kycApplication = z.object({
  applicationId: z.string().min(1),
  applicant: z.object({
    fullName: z.string().min(1),
    email: z.email(),
    dateOfBirth: z.iso.date(),
    nationality: country,
    residence: country,
    occupation: z.string().min(1).max(200),
    politicallyExposed: z.boolean(),
  }),
  account: z.object({
    product: z.enum(['personal', 'business']),
    expectedMonthlyVolumeEur: z.number().nonnegative(),
    sourceOfFunds: z.enum(['salary', 'business_income', 'investments', 'inheritance', 'crypto', 'other']),
    /** In the applicant's words: where the money comes from and what the account is for. */
    purpose: z.string().min(1).max(2000),
  }),
  document: z.object({
    type: z.enum(['passport', 'id_card', 'residence_permit']),
    number: z.string().min(4).max(40),
    issuingCountry: country,
    expiresOn: z.iso.date(),
  }),
});
export type KycApplication = z.infer<typeof kycApplication>;

/** Countries under a comprehensive embargo: no account, whatever else the application says. */
export const EMBARGOED_COUNTRIES = ['CU', 'IR', 'KP', 'SY'];
/** Monthly volume above which a person looks at the application whatever the AI says. */
export const HIGH_VOLUME_EUR = 25_000;

export interface SanctionsScreening {
  hit: boolean;
  reasons: string[];
}

function screenSanctions(a: KycApplication): SanctionsScreening {
  const reasons: string[] = [];
  if (EMBARGOED_COUNTRIES.includes(a.applicant.nationality))
    reasons.push(`nationality ${a.applicant.nationality} is embargoed`);
  if (EMBARGOED_COUNTRIES.includes(a.applicant.residence))
    reasons.push(`residence ${a.applicant.residence} is embargoed`);
  if (EMBARGOED_COUNTRIES.includes(a.document.issuingCountry))
    reasons.push(`document issued by embargoed ${a.document.issuingCountry}`);
  return { hit: reasons.length > 0, reasons };
}

/** What the risk agent reads: the facts a KYC analyst would look at first. */
function applicationSummary(a: KycApplication): string {
  return [
    `${a.account.product} account, expected ${a.account.expectedMonthlyVolumeEur} EUR a month`,
    `source of funds: ${a.account.sourceOfFunds.replace('_', ' ')}`,
    `occupation: ${a.applicant.occupation}`,
    `nationality ${a.applicant.nationality}, resident in ${a.applicant.residence}`,
    a.applicant.politicallyExposed ? 'politically exposed person' : 'not politically exposed',
    `purpose: ${a.account.purpose}`,
  ].join('\n');
}

function ageOn(dateOfBirth: string, day: Date): number {
  const born = new Date(`${dateOfBirth}T00:00:00Z`);
  let age = day.getUTCFullYear() - born.getUTCFullYear();
  const beforeBirthday =
    day.getUTCMonth() < born.getUTCMonth() ||
    (day.getUTCMonth() === born.getUTCMonth() && day.getUTCDate() < born.getUTCDate());
  if (beforeBirthday) age--;
  return age;
}

/**
 * Asks the identity provider to check the document. Set KYC_IDENTITY_URL to your provider's
 * endpoint (it receives the state's idempotency key, so a retry is not a second check); without it,
 * a stand-in accepts any document that has not expired.
 */
async function verifyIdentity(a: KycApplication, idempotencyKey: string, signal: AbortSignal) {
  const url = process.env.KYC_IDENTITY_URL;
  if (!url) {
    const valid = a.document.expiresOn >= new Date().toISOString().slice(0, 10);
    return { provider: 'stand-in', status: valid ? 'verified' : 'rejected', reference: idempotencyKey };
  }
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
    body: JSON.stringify({ name: a.applicant.fullName, dateOfBirth: a.applicant.dateOfBirth, document: a.document }),
    signal,
  });
  if (!res.ok) throw new Error(`identity provider answered ${res.status}`);
  return (await res.json()) as { status: 'verified' | 'rejected'; reference: string };
}

const RISK_INSTRUCTIONS = `You assess the money-laundering and fraud risk of an application for a payments account. Answer low_risk when the expected volume, the source of funds, the occupation and the stated purpose fit together and nothing is unusual. Answer high_risk when they do not fit (volume far beyond what the occupation earns, vague or evasive purpose, funds from sources that are hard to trace, accounts for third parties) or when the purpose mentions anything a payments company must not process. Report how sure you are: an analyst checks every answer you are not sure of.`;

/**
 * KYC onboarding: sanctions screening, AI risk screening with human review of the risky and the
 * uncertain, identity verification and compliance checks side by side, then the account.
 */
export const kycReview = defineWorkflow({
  name: 'kyc-review',
  description: 'Screen an account application, verify the applicant, and open the account or decline it.',
  input: kycApplication,
  start: 'sanctions',
  states: {
    sanctions: {
      kind: 'task',
      description: 'Screen nationality, residence and the document against the embargo list.',
      run: (ctx) => screenSanctions(ctx.input),
      next: 'sanctionsGate',
    },
    sanctionsGate: {
      kind: 'choice',
      description: 'An embargo hit is declined at once; a person cannot override it.',
      branches: [{ label: 'embargo hit', when: (ctx) => (ctx.sanctions as SanctionsScreening).hit, next: 'declined' }],
      otherwise: 'riskScreening',
    },
    riskScreening: {
      kind: 'decide',
      description: 'Does the application look low or high risk?',
      agent: { name: 'kyc-risk-screener', instructions: RISK_INSTRUCTIONS },
      labels: ['low_risk', 'high_risk'],
      text: (ctx) => applicationSummary(ctx.input),
      policy: {
        autoAcceptAt: 0.9,
        queue: 'kyc-onboarding',
        dueInMinutes: 120,
        risks: [
          {
            name: 'politically-exposed',
            when: (ctx) => ctx.input.applicant.politicallyExposed,
            reason: 'Politically exposed person: enhanced due diligence is required by law',
            queue: 'kyc-enhanced-due-diligence',
          },
          {
            name: 'high-volume',
            when: (ctx) => ctx.input.account.expectedMonthlyVolumeEur > HIGH_VOLUME_EUR,
            reason: `Expected volume above ${HIGH_VOLUME_EUR} EUR a month: check the source of funds`,
            queue: 'kyc-enhanced-due-diligence',
          },
          {
            name: 'crypto-funds',
            when: (ctx) => ctx.input.account.sourceOfFunds === 'crypto',
            reason: 'Funds from crypto assets: ask for the trail of the funds',
          },
        ],
      },
      next: 'riskGate',
    },
    riskGate: {
      kind: 'choice',
      description: 'Low risk is fast-tracked; high risk goes to enhanced due diligence.',
      branches: [
        {
          label: 'high risk',
          when: (ctx) => (ctx.riskScreening as DecisionOutput).label === 'high_risk',
          next: 'dueDiligence',
        },
      ],
      otherwise: 'verification',
    },
    dueDiligence: {
      kind: 'review',
      description: 'An analyst of the enhanced due diligence team decides on a high-risk application.',
      queue: 'kyc-enhanced-due-diligence',
      labels: ['approve', 'decline'],
      instructions:
        'Check the source of funds and the purpose against the occupation and the expected volume; ask the applicant for documents if you need them. Approve only if the risk is understood and acceptable, and say why.',
      show: (ctx) => ({
        applicant: ctx.input.applicant.fullName,
        summary: applicationSummary(ctx.input),
        ai: ctx.riskScreening,
      }),
      dueInMinutes: 24 * 60,
      next: 'dueDiligenceGate',
    },
    dueDiligenceGate: {
      kind: 'choice',
      branches: [{ label: 'declined', when: (ctx) => ctx.dueDiligence.label === 'decline', next: 'declined' }],
      otherwise: 'verification',
    },
    verification: {
      kind: 'parallel',
      description: 'Verify the identity document and run the compliance checks at the same time.',
      branches: {
        identity: {
          // The provider is slow at times and fails now and then: four tries, 10 s each.
          run: (ctx, meta) => verifyIdentity(ctx.input, meta.idempotencyKey, meta.signal),
          retry: { maxAttempts: 4, initialDelayMs: 2000 },
          timeoutMs: 10_000,
        },
        compliance: {
          run: (ctx) => {
            const findings: string[] = [];
            if (ageOn(ctx.input.applicant.dateOfBirth, new Date()) < 18) findings.push('applicant is under 18');
            if (ctx.input.document.expiresOn < new Date().toISOString().slice(0, 10))
              findings.push('document has expired');
            return { passed: findings.length === 0, findings };
          },
        },
      },
      onError: 'verificationFailed',
      next: 'verificationGate',
    },
    verificationGate: {
      kind: 'choice',
      branches: [
        {
          label: 'identity or compliance failed',
          when: (ctx) => ctx.identity.status !== 'verified' || !ctx.compliance.passed,
          next: 'declined',
        },
      ],
      otherwise: 'openAccount',
    },
    verificationFailed: {
      kind: 'review',
      description: 'The identity provider could not be reached after every try: an analyst checks the document.',
      queue: 'kyc-onboarding',
      labels: ['verified', 'decline'],
      instructions:
        'The identity provider did not answer. Check the document yourself (video call or certified copy), then choose verified or decline.',
      next: 'manualVerificationGate',
    },
    manualVerificationGate: {
      kind: 'choice',
      branches: [{ when: (ctx) => ctx.verificationFailed.label === 'decline', next: 'declined' }],
      otherwise: 'openAccount',
    },
    openAccount: {
      kind: 'task',
      description: 'Open the account in the core banking system (idempotent on the state run key).',
      run: (ctx, meta) => ({
        accountId: `acc_${createHash('sha256').update(meta.idempotencyKey).digest('hex').slice(0, 16)}`,
        product: ctx.input.account.product,
      }),
      next: 'opened',
    },
    opened: {
      kind: 'final',
      status: 'succeeded',
      output: (ctx) => ({ accountId: ctx.openAccount.accountId, risk: ctx.riskScreening }),
    },
    declined: {
      kind: 'final',
      status: 'rejected',
      output: (ctx) => ({
        sanctions: ctx.sanctions,
        risk: ctx.riskScreening,
        dueDiligence: ctx.dueDiligence,
        compliance: ctx.compliance,
        identity: ctx.identity,
      }),
    },
  },
});

import {
  ASIDES,
  COMPANY_DOMAINS,
  ENGLISH_TEMPLATES,
  FOREIGN_TEMPLATES,
  FRUSTRATED_OPENERS,
  GREETINGS,
  MONTHS,
  NAMES,
  PERSONAL_DOMAINS,
  POLITE_CLOSINGS,
  SIGNATURES,
  SLOT_VALUES,
  type TemplateLanguage,
  type TicketTemplate,
  URGENT_LINES,
} from './support-item-templates';
import {
  SUPPORT_LABELS,
  type SupportChannel,
  type SupportLabel,
  type SupportTier,
  type SupportTriageInput,
} from './support-triage';

export interface SupportItem {
  idempotencyKey: string;
  input: SupportTriageInput;
}

/** A generated item with the category its template was written for: ground truth for evaluations. */
export interface LabelledSupportItem extends SupportItem {
  label: SupportLabel;
  /** Set when a sentence about a second topic was mixed in. */
  mixedWith?: SupportLabel;
}

type Customer = SupportTriageInput['customer'];
type Tone = 'polite' | 'neutral' | 'terse' | 'frustrated' | 'urgent';

/** mulberry32: a tiny, fast 32-bit PRNG; the same seed always yields the same sequence. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function createRandom(seed: number) {
  const next = mulberry32(seed);
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(list: readonly T[]): T => {
    const value = list[Math.floor(next() * list.length)];
    if (value === undefined) throw new Error('pick from an empty list');
    return value;
  };
  const chance = (p: number) => next() < p;
  const weighted = <T>(entries: readonly (readonly [T, number])[]): T => {
    let r = next() * entries.reduce((sum, [, w]) => sum + w, 0);
    for (const [value, w] of entries) {
      r -= w;
      if (r < 0) return value;
    }
    return pick(entries)[0];
  };
  return { next, int, pick, chance, weighted };
}
type Random = ReturnType<typeof createRandom>;

const LABEL_WEIGHTS: readonly (readonly [SupportLabel, number])[] = [
  ['billing', 24],
  ['bug', 24],
  ['account', 18],
  ['how_to', 20],
  ['complaint', 14],
];
const TIER_WEIGHTS: readonly (readonly [SupportTier, number])[] = [
  ['free', 60],
  ['pro', 30],
  ['enterprise', 10],
];
const CHANNEL_WEIGHTS: readonly (readonly [SupportChannel, number])[] = [
  ['email', 50],
  ['chat', 30],
  ['web', 20],
];
const TONE_WEIGHTS: readonly (readonly [Tone, number])[] = [
  ['polite', 35],
  ['neutral', 30],
  ['terse', 15],
  ['frustrated', 12],
  ['urgent', 8],
];
const LANGUAGE_TAGS: Readonly<Record<TemplateLanguage, readonly string[]>> = {
  en: ['en', 'en', 'en', 'en-US', 'en-GB'],
  de: ['de', 'de-DE', 'de-AT', 'de-CH'],
  es: ['es', 'es-ES', 'es-MX', 'es-AR'],
  fr: ['fr', 'fr-FR', 'fr-BE'],
};
const CHAT_LOWERCASE_OPENERS =
  /^(I|How|Is|We|The|Every|Our|When|Since|Please|Exporting|Nobody|In|About|Can|My|Hola|Hallo|Bonjour)\b/;
const NON_ENGLISH_SHARE = 0.08;
const MIXED_TOPIC_SHARE = 0.1;
const TYPO_SHARE = 0.12;
const RETURNING_CUSTOMER_SHARE = 0.25;
// Monthly and annual plan prices: what people actually ask back.
const SMALL_REFUNDS = [9.99, 12, 19, 29, 29.99, 49, 79, 99, 149, 199];
const LARGE_REFUNDS = [239.88, 348, 468, 588, 948, 1188, 2400, 4800];

function ascii(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

function newCustomer(rnd: Random, language: TemplateLanguage): Customer {
  const tier = rnd.weighted(TIER_WEIGHTS);
  const first = rnd.pick(NAMES[language].first);
  const last = rnd.pick(NAMES[language].last);
  const business = tier !== 'free' && rnd.chance(0.85);
  const domain = business ? rnd.pick(COMPANY_DOMAINS) : rnd.pick(PERSONAL_DOMAINS[language]);
  const f = ascii(first);
  const l = ascii(last);
  const local = rnd.pick([`${f}.${l}`, `${f.slice(0, 1)}${l}`, `${f}${rnd.int(1, 99)}`, `${f}_${l}`]);
  const lifetimeValue =
    tier === 'free'
      ? rnd.chance(0.7)
        ? 0
        : rnd.int(5, 240)
      : tier === 'pro'
        ? rnd.int(29_000, 900_000) / 100
        : rnd.int(18_000, 420_000);
  const id = `cus_${Array.from({ length: 10 }, () => rnd.int(0, 35).toString(36)).join('')}`;
  return { id, name: `${first} ${last}`, email: `${local}@${domain}`, tier, lifetimeValue };
}

function refundFor(rnd: Random, tier: SupportTier): number {
  return rnd.chance(tier === 'enterprise' ? 0.6 : 0.4) ? rnd.pick(LARGE_REFUNDS) : rnd.pick(SMALL_REFUNDS);
}

function formatUsd(amount: number, language: TemplateLanguage): string {
  const [whole = '0', cents = '00'] = amount.toFixed(2).split('.');
  const english = language === 'en';
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, english ? ',' : '.');
  const number = cents === '00' ? grouped : `${grouped}${english ? '.' : ','}${cents}`;
  return english ? `$${number}` : `${number} USD`;
}

function formatDate(rnd: Random, language: TemplateLanguage): string {
  const month = rnd.pick(MONTHS[language]);
  const day = rnd.int(1, 28);
  if (language === 'de') return `${day}. ${month}`;
  if (language === 'es') return `${day} de ${month}`;
  if (language === 'fr') return `${day} ${month}`;
  return `${month} ${day}`;
}

/** Fills `{slot}`s; each slot is drawn once per ticket so repeated mentions agree. */
function slotFiller(rnd: Random, language: TemplateLanguage, customer: Customer, refundAmount: number | undefined) {
  const memo = new Map<string, string>();
  const [first = customer.name, ...rest] = customer.name.split(' ');
  const company = COMPANY_DOMAINS.includes(customer.email.split('@')[1] ?? '')
    ? (customer.email.split('@')[1]?.split('.')[0] ?? '')
    : '';
  const draw = (key: string): string => {
    switch (key) {
      case 'otherPlan':
        return rnd.pick(SLOT_VALUES.plan.filter((p) => p !== value('plan')));
      case 'month':
        return rnd.pick(MONTHS[language]);
      case 'date':
        return formatDate(rnd, language);
      case 'year':
        return String(rnd.int(2023, 2025));
      case 'invoice':
        return `INV-${value('year')}-${rnd.int(10_000, 99_999)}`;
      case 'seats':
        return String(rnd.int(12, 60));
      case 'fewerSeats':
        return String(Number(value('seats')) - rnd.int(2, 9));
      case 'count':
        return String(rnd.int(3, 40));
      case 'seconds':
        return String(rnd.int(15, 90));
      case 'days':
        return String(rnd.int(4, 21));
      case 'percent':
        return String(rnd.pick([15, 20, 25, 30, 40, 50]));
      case 'colleague':
        return `${rnd.pick(NAMES[language].first)} ${rnd.pick(NAMES[language].last)}`;
      case 'email':
        return customer.email;
      case 'newEmail':
        return `${ascii(first)}.${ascii(rest.join(''))}@${rnd.pick(PERSONAL_DOMAINS[language])}`;
      case 'amount':
        return formatUsd(refundAmount ?? rnd.pick(SMALL_REFUNDS), language);
      case 'first':
        return first;
      case 'last':
        return rest.join(' ');
      case 'company':
        return company.replace(/-/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase());
      default: {
        const values = (SLOT_VALUES as Record<string, readonly string[]>)[key];
        if (!values) throw new Error(`Template slot {${key}} has no values`);
        return rnd.pick(values);
      }
    }
  };
  function value(key: string): string {
    let v = memo.get(key);
    if (v === undefined) {
      v = draw(key);
      memo.set(key, v);
    }
    return v;
  }
  return (template: string) => template.replace(/\{(\w+)\}/g, (_, key: string) => value(key)).trim();
}

// Swaps, drops or doubles a letter in a few longer words, the way people type in a hurry.
function addTypos(rnd: Random, text: string): string {
  const parts = text.split(/(\s+)/);
  const candidates = parts.flatMap((p, i) => (/^[a-z]{5,}$/.test(p) ? [i] : []));
  for (let n = rnd.int(1, 2); n > 0 && candidates.length > 0; n--) {
    const index = rnd.pick(candidates);
    const word = parts[index] ?? '';
    const at = rnd.int(1, word.length - 2);
    const kind = rnd.int(0, 2);
    parts[index] =
      kind === 0
        ? `${word.slice(0, at)}${word[at + 1]}${word[at]}${word.slice(at + 2)}`
        : kind === 1
          ? `${word.slice(0, at)}${word.slice(at + 1)}`
          : `${word.slice(0, at)}${word[at]}${word.slice(at)}`;
  }
  return parts.join('');
}

function generateOne(rnd: Random, seed: number, n: number, customers: Customer[]): LabelledSupportItem {
  const label = rnd.weighted(LABEL_WEIGHTS);
  const language: TemplateLanguage = rnd.chance(NON_ENGLISH_SHARE)
    ? rnd.weighted([
        ['de', 45],
        ['es', 40],
        ['fr', 15],
      ] as const)
    : 'en';
  const returning = language === 'en' && customers.length >= 5 && rnd.chance(RETURNING_CUSTOMER_SHARE);
  const customer = returning ? rnd.pick(customers) : newCustomer(rnd, language);
  if (!returning && language === 'en') customers.push(customer);

  const templates: readonly TicketTemplate[] = language === 'en' ? ENGLISH_TEMPLATES : FOREIGN_TEMPLATES[language];
  const template = rnd.pick(templates.filter((t) => t.label === label));
  const refundAmount = template.refund ? refundFor(rnd, customer.tier) : undefined;
  const channel = rnd.weighted(CHANNEL_WEIGHTS);
  const fill = slotFiller(rnd, language, customer, refundAmount);

  let subject = fill(rnd.pick(template.subjects));
  const paragraphs = [fill(template.body)];
  let mixedWith: SupportLabel | undefined;
  if (language === 'en') {
    if (rnd.chance(MIXED_TOPIC_SHARE)) {
      mixedWith = rnd.pick(SUPPORT_LABELS.filter((l) => l !== label));
      paragraphs.push(rnd.pick(ASIDES[mixedWith]));
    }
    const drawn = rnd.weighted(TONE_WEIGHTS);
    // Nobody is exasperated about a question they have not asked before.
    const tone = drawn === 'frustrated' && label === 'how_to' ? 'neutral' : drawn;
    if (tone === 'frustrated') paragraphs.unshift(rnd.pick(FRUSTRATED_OPENERS));
    if (tone === 'urgent') {
      subject = `${rnd.pick(['URGENT: ', '[Urgent] ', 'Urgent - '])}${subject}`;
      paragraphs.push(rnd.pick(URGENT_LINES));
    }
    if (channel !== 'chat') {
      if (tone === 'polite' || tone === 'neutral' || tone === 'urgent') paragraphs.unshift(rnd.pick(GREETINGS));
      if (tone === 'polite') paragraphs.push(rnd.pick(POLITE_CLOSINGS));
      if (tone === 'frustrated') paragraphs.push('Please sort this out.');
      if (tone !== 'terse' && channel === 'email') paragraphs.push(fill(rnd.pick(SIGNATURES)));
    }
  } else if (channel === 'email') {
    paragraphs.push(customer.name);
  }
  if (channel === 'web') paragraphs.push('--\nSent from the help centre contact form');
  let body = paragraphs.join('\n\n');
  if (channel === 'chat') {
    subject = `Chat: ${subject}`;
    // People type lower-case in chat; only common opening words, so names keep their capitals.
    if (CHAT_LOWERCASE_OPENERS.test(body) && rnd.chance(0.4)) body = body.charAt(0).toLowerCase() + body.slice(1);
  }
  if (language === 'en' && rnd.chance(TYPO_SHARE)) body = addTypos(rnd, body);

  const languageTag = rnd.pick(LANGUAGE_TAGS[language]);
  const input: SupportTriageInput = {
    ticketId: `SUP-${seed}-${String(n + 1).padStart(5, '0')}`,
    channel,
    language: languageTag,
    subject: subject.slice(0, 200),
    body: body.slice(0, 5000),
    customer,
    ...(refundAmount === undefined ? {} : { refundAmount }),
  };
  return { idempotencyKey: `demo-${seed}-${n}`, input, label, ...(mixedWith ? { mixedWith } : {}) };
}

/**
 * Demo tickets with the category each was written for. Deterministic: the same `seed` gives the same
 * items, and a longer run starts with the items of a shorter one.
 *
 * @example
 * const items = generateLabelledSupportItems(300);
 * items.filter((i) => i.label === 'complaint').length; // about 42
 */
export function generateLabelledSupportItems(count: number, seed = 42): LabelledSupportItem[] {
  const rnd = createRandom(seed);
  const customers: Customer[] = [];
  return Array.from({ length: Math.max(0, Math.floor(count)) }, (_, n) => generateOne(rnd, seed, n, customers));
}

/**
 * Realistic, varied support tickets for demos and load tests: about 8% non-English, tiers roughly
 * 60/30/10 free/pro/enterprise, refunds on some billing and complaint tickets, some mixing two topics.
 * `idempotencyKey` is `demo-<seed>-<n>` with `n` counting from 0, so re-submitting a batch creates no duplicates.
 *
 * @example
 * for (const { idempotencyKey, input } of generateSupportItems(50)) await submitItem('support-triage', input, idempotencyKey);
 */
export function generateSupportItems(count: number, seed = 42): SupportItem[] {
  return generateLabelledSupportItems(count, seed).map(({ idempotencyKey, input }) => ({ idempotencyKey, input }));
}

/** "45s", "12m", "3h 5m", "2d 4h": how long ago, compact enough for a table cell. */
export function formatAge(since: string | Date | number, now: number = Date.now()): string {
  const seconds = Math.max(0, Math.floor((now - new Date(since).getTime()) / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours}h ${minutes % 60}m` : `${hours}h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days}d ${hours % 24}h` : `${days}d`;
}

export function formatPercent(value: number): string {
  return `${Math.round(value * 100)}%`;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

export function formatDateTime(value: string | Date): string {
  return dateTime.format(new Date(value));
}

export function formatTime(value: string | Date): string {
  return time.format(new Date(value));
}

/** Until a due time: "in 3h 5m", or "overdue by 12m". */
export function formatDue(due: string | Date, now: number = Date.now()): { text: string; overdue: boolean } {
  const t = new Date(due).getTime();
  if (t < now) return { text: `overdue by ${formatAge(t, now)}`, overdue: true };
  return { text: `in ${formatAge(now, t)}`, overdue: false };
}

/**
 * The part of an id a person tells items apart by: its last 8 hex digits. Ids are time-ordered
 * (UUIDv7): items created in the same minute share their first digits, never their last ones.
 */
export function shortId(id: string): string {
  return id.slice(-8);
}

/** "how_to" -> "how to", "refund_approved" -> "refund approved": labels read as words. */
export function humanize(value: string): string {
  return value.replace(/[_.-]+/g, ' ');
}

export function formatMoney(amount: number, currency = 'USD'): string {
  return new Intl.NumberFormat(undefined, { style: 'currency', currency, maximumFractionDigits: 0 }).format(amount);
}

export const ROLE_NAMES: Record<string, string> = {
  reviewer: 'Reviewer',
  lead: 'Lead',
  compliance: 'Compliance',
  data_scientist: 'Data scientist',
  admin: 'Admin',
};

/**
 * An error rate or share with the precision small rates need: "0.37%", "4.12%", "62.5%". Two
 * decimals below 10%, where the target of certified auto-accept lives; one above.
 */
export function formatRate(value: number): string {
  const v = value * 100;
  if (Number.isInteger(v)) return `${v}%`;
  return `${v.toFixed(v < 10 ? 2 : 1)}%`;
}

/** A score threshold as the server writes it in certificates and explanations (4 significant digits). */
export function formatThreshold(value: number): string {
  return value.toPrecision(4);
}

// The decision trail as a file to hand over: JSON (the `trail.get` document plus who generated it)
// or the PDF report. Shared by the HTTP download route and `signoff audit trail`.
import type { DecisionTrail, TrailFormat } from '@signoff/core';
import type { DB } from '@signoff/db';
import { maskPii } from '@signoff/governance';
import type { Kysely } from 'kysely';
import { getDecisionTrail } from './decision-trail';
import { type ReportAuthor, renderTrailPdf } from './trail-report';

export interface TrailFile {
  body: Buffer;
  contentType: string;
  fileName: string;
}

/**
 * The trail with PII masked in every item-derived value (input, outputs, rationales, tool calls,
 * reasons) with the configured patterns; the staff who reviewed or acted keep their e-mail (an
 * auditor must know who decided): the paths `TRAIL_STAFF_PATHS` names.
 *
 * @example
 * const safe = maskTrail(await getDecisionTrail(db, itemId));
 */
export function maskTrail(trail: DecisionTrail): DecisionTrail {
  const masked = maskPii(trail);
  return {
    ...masked,
    verdicts: masked.verdicts.map((v, i) => ({ ...v, reviewer: trail.verdicts[i]?.reviewer ?? v.reviewer })),
    events: masked.events.map((e, i) => ({ ...e, actor: trail.events[i]?.actor ?? e.actor })),
  };
}

/**
 * Reads an item's trail, masks its PII (`maskTrail`) and writes it as `format`. Throws `NOT_FOUND` for an unknown item.
 *
 * @example
 * const file = await exportDecisionTrail(db, itemId, { format: 'pdf', author: { email: user.email } });
 * await writeFile(file.fileName, file.body);
 */
export async function exportDecisionTrail(
  db: Kysely<DB>,
  itemId: string,
  options: { format: TrailFormat; author: ReportAuthor; now?: Date },
): Promise<TrailFile> {
  const trail = maskTrail(await getDecisionTrail(db, itemId, options.now ? { now: options.now } : {}));
  const base = `decision-trail-${trail.item.id}`;
  if (options.format === 'pdf')
    return {
      body: await renderTrailPdf(trail, options.author),
      contentType: 'application/pdf',
      fileName: `${base}.pdf`,
    };
  const document = { ...trail, generatedBy: { email: options.author.email, name: options.author.name ?? null } };
  return {
    body: Buffer.from(`${JSON.stringify(document, null, 2)}\n`),
    contentType: 'application/json; charset=utf-8',
    fileName: `${base}.json`,
  };
}

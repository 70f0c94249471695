// The decision trail as a file to hand over: JSON (the `trail.get` document plus who generated it)
// or the PDF report. Shared by the HTTP download route and `signoff audit trail`.
import type { TrailFormat } from '@signoff/core';
import type { DB } from '@signoff/db';
import type { Kysely } from 'kysely';
import { getDecisionTrail } from './decision-trail';
import { type ReportAuthor, renderTrailPdf } from './trail-report';

export interface TrailFile {
  body: Buffer;
  contentType: string;
  fileName: string;
}

/**
 * Reads an item's trail and writes it as `format`. Throws `NOT_FOUND` for an unknown item.
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
  const trail = await getDecisionTrail(db, itemId, options.now ? { now: options.now } : {});
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

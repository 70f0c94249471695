// Revealing one masked field of one item: the only way PII leaves the server unmasked (issue 12).
// The permission (`pii:read`) is the API's check; this reads the field and audits the reveal.
import { AppError, isUuid } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { type Actor, appendAudit } from './audit';
import {
  activePiiPatterns,
  compilePiiPatterns,
  loadPiiPatternsFromEnv,
  type PiiPattern,
  setActivePiiPatterns,
} from './pii';

/**
 * Where a field lives, as a JSON Pointer (RFC 6901) into the item's data:
 * `/input/...`, `/context/...`, `/runs/<state>/<visit>/output/...`,
 * `/decisions/<id>/(output|input_text|reasons|label)/...`,
 * `/tasks/<id>/(labels|reasons|summary|instructions)/...`, `/reviews/<id>/reason`,
 * `/labels/<id>/(input_text|reason)`.
 */
export type PiiFieldPath = string;

export interface UnmaskInput {
  itemId: string;
  path: PiiFieldPath;
  reason?: string | undefined;
}

export function parseJsonPointer(path: string): string[] {
  if (!path.startsWith('/'))
    throw new AppError('BAD_INPUT', `path must be a JSON Pointer starting with "/" (got "${path}")`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const DECISION_FIELDS = ['output', 'input_text', 'reasons', 'label'] as const;
const TASK_FIELDS = ['labels', 'reasons', 'summary', 'instructions'] as const;
const LABEL_FIELDS = ['input_text', 'reason'] as const;

function pick<T extends string>(field: string | undefined, allowed: readonly T[], where: string): T {
  if (field && (allowed as readonly string[]).includes(field)) return field as T;
  throw new AppError('BAD_INPUT', `${where}: the field must be one of ${allowed.join(', ')} (got "${field ?? ''}")`);
}

function id(segment: string | undefined, what: string): string {
  if (!segment || !isUuid(segment))
    throw new AppError('BAD_INPUT', `path: the ${what} id must be a UUID (got "${segment ?? ''}")`);
  return segment;
}

/** The root value a pointer starts from, and the rest of the pointer inside it. */
async function rootOf(trx: Transaction<DB>, itemId: string, parts: string[]): Promise<[unknown, string[]]> {
  const [root, a, b, c, ...rest] = parts;
  const none = (what: string): never => {
    throw new AppError('NOT_FOUND', `Item ${itemId} has no ${what}`);
  };
  switch (root) {
    case 'input':
    case 'context': {
      const row = await trx
        .selectFrom('items')
        .select(['input', 'context'])
        .where('id', '=', itemId)
        .executeTakeFirst();
      if (!row) throw new AppError('NOT_FOUND', `No item ${itemId}`);
      return [row[root], parts.slice(1)];
    }
    case 'runs': {
      const visit = Number(b);
      if (!a || !Number.isInteger(visit) || visit < 1)
        throw new AppError('BAD_INPUT', 'path: a run is /runs/<state>/<visit>/output/…');
      if (c !== 'output') throw new AppError('BAD_INPUT', `path: a run's field must be output (got "${c ?? ''}")`);
      const row = await trx
        .selectFrom('state_runs')
        .select('output')
        .where('item_id', '=', itemId)
        .where('state', '=', a)
        .where('visit', '=', visit)
        .executeTakeFirst();
      return [row ? row.output : none(`run of ${a} (visit ${visit})`), rest];
    }
    case 'decisions': {
      const field = pick(b, DECISION_FIELDS, 'path /decisions/<id>/<field>');
      const row = await trx
        .selectFrom('decisions')
        .select(DECISION_FIELDS)
        .where('item_id', '=', itemId)
        .where('id', '=', id(a, 'decision'))
        .executeTakeFirst();
      return [row ? row[field] : none(`decision ${a}`), c === undefined ? [] : [c, ...rest]];
    }
    case 'tasks': {
      const field = pick(b, TASK_FIELDS, 'path /tasks/<id>/<field>');
      const row = await trx
        .selectFrom('review_tasks')
        .select(TASK_FIELDS)
        .where('item_id', '=', itemId)
        .where('id', '=', id(a, 'task'))
        .executeTakeFirst();
      return [row ? row[field] : none(`review task ${a}`), c === undefined ? [] : [c, ...rest]];
    }
    case 'reviews': {
      pick(b, ['reason'], 'path /reviews/<id>/<field>');
      const row = await trx
        .selectFrom('reviews as r')
        .innerJoin('review_tasks as t', 't.id', 'r.task_id')
        .select('r.reason')
        .where('t.item_id', '=', itemId)
        .where('r.id', '=', id(a, 'review'))
        .executeTakeFirst();
      return [row ? row.reason : none(`review ${a}`), c === undefined ? [] : [c, ...rest]];
    }
    case 'labels': {
      const field = pick(b, LABEL_FIELDS, 'path /labels/<id>/<field>');
      const row = await trx
        .selectFrom('labels')
        .select(LABEL_FIELDS)
        .where('item_id', '=', itemId)
        .where('id', '=', id(a, 'label'))
        .executeTakeFirst();
      return [row ? row[field] : none(`label ${a}`), c === undefined ? [] : [c, ...rest]];
    }
    default:
      throw new AppError(
        'BAD_INPUT',
        `path must start with /input, /context, /runs, /decisions, /tasks, /reviews or /labels (got "/${root ?? ''}")`,
      );
  }
}

/**
 * Reads one field (a string, number or boolean: one value, never a whole object) of one item, and
 * audits the reveal as `pii.unmasked` on the `security` stream (who, item, path, reason; never the value).
 */
export async function unmaskItemField(
  trx: Transaction<DB>,
  input: UnmaskInput,
  actor: Actor,
): Promise<{ itemId: string; path: string; value: string | number | boolean }> {
  const parts = parseJsonPointer(input.path);
  const [root, rest] = await rootOf(trx, input.itemId, parts);
  let value = root;
  for (const key of rest) {
    const next =
      value !== null && typeof value === 'object' && Object.hasOwn(value, key)
        ? (value as Record<string, unknown>)[key]
        : undefined;
    if (next === undefined) throw new AppError('NOT_FOUND', `Item ${input.itemId} has nothing at ${input.path}`);
    value = next;
  }
  if (value === null || typeof value === 'object')
    throw new AppError(
      'BAD_INPUT',
      `path ${input.path} is ${value === null ? 'empty' : 'an object or a list'}: name one field (a string or number) in it`,
    );
  await appendAudit(trx, {
    stream: 'security',
    actor,
    action: 'pii.unmasked',
    data: {
      itemId: input.itemId,
      path: input.path,
      ...(actor.type === 'user' ? { userId: actor.id } : {}),
      ...(input.reason ? { reason: input.reason } : {}),
    },
  });
  return { itemId: input.itemId, path: input.path, value: value as string | number | boolean };
}

/**
 * Makes the deployment's patterns (SIGNOFF_PII_PATTERNS / _FILE) and those of every stored workflow
 * version the active ones of this process: what a command line tool that registers no workflow
 * (`signoff export`) masks with. Throws PiiPatternError naming a bad pattern.
 */
export async function activateConfiguredPiiPatterns(
  db: Kysely<DB>,
  env: Record<string, string | undefined> = process.env,
): Promise<PiiPattern[]> {
  setActivePiiPatterns('env', loadPiiPatternsFromEnv(env));
  const rows = await db
    .selectFrom('workflow_versions')
    .select(['name', 'version', sql<unknown>`definition->'pii'->'patterns'`.as('patterns')])
    .where(sql<boolean>`definition->'pii'->'patterns' IS NOT NULL`)
    .execute()
    .catch((e: { code?: string }) => {
      // A database not migrated yet (`signoff migrate` opens it first) has no workflows to read.
      if (e?.code === '42P01') return [];
      throw e;
    });
  for (const r of rows)
    setActivePiiPatterns(
      `stored:${r.name}:${r.version}`,
      compilePiiPatterns(r.patterns, `workflow "${r.name}" v${r.version}`),
    );
  return activePiiPatterns();
}

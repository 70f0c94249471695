import type {
  KyselyPlugin,
  OperationNode,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';

interface Stat {
  count: number;
  totalMs: number;
}

/**
 * A kysely plugin that counts the statements a process sends through one `Kysely` instance, by
 * kind and table, with their time from compilation to result (pool wait included outside a
 * transaction). Statements pg-boss sends through `fromKysely(trx)` arrive pre-compiled and are
 * counted without a time. Cheap: one map entry per statement in flight.
 */
export class QueryProfile implements KyselyPlugin {
  private readonly started = new WeakMap<object, { key: string; at: number }>();
  private readonly stats = new Map<string, Stat>();

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.started.set(args.queryId, { key: describe(args.node), at: performance.now() });
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const s = this.started.get(args.queryId);
    const key = s?.key ?? (args.queryId.queryId === 'pgboss' ? 'pgboss send (in transaction)' : 'precompiled');
    const stat = this.stats.get(key) ?? { count: 0, totalMs: 0 };
    stat.count++;
    if (s) stat.totalMs += performance.now() - s.at;
    this.stats.set(key, stat);
    return args.result;
  }

  /** Statements per item and mean milliseconds, most frequent first. */
  summary(items: number): { statement: string; perItem: number; meanMs: number | null }[] {
    return [...this.stats]
      .sort((a, b) => b[1].count - a[1].count)
      .map(([statement, s]) => ({
        statement,
        perItem: Math.round((s.count / items) * 100) / 100,
        meanMs: s.totalMs > 0 ? Math.round((s.totalMs / s.count) * 1000) / 1000 : null,
      }));
  }

  totalPerItem(items: number): number {
    let n = 0;
    for (const s of this.stats.values()) n += s.count;
    return Math.round((n / items) * 100) / 100;
  }
}

// biome-ignore lint/suspicious/noExplicitAny: walking kysely's operation nodes generically.
type AnyNode = any;

function tableOf(node: AnyNode): string {
  const t = node?.kind === 'AliasNode' ? node.node : node;
  return t?.table?.identifier?.name ?? '?';
}

function describe(node: OperationNode): string {
  const n = node as AnyNode;
  switch (node.kind) {
    case 'SelectQueryNode':
      return `select ${tableOf(n.from?.froms?.[0])}${n.endModifiers?.some((m: AnyNode) => m.modifier === 'ForUpdate') ? ' for update' : ''}`;
    case 'InsertQueryNode':
      return `insert ${tableOf(n.into)}`;
    case 'UpdateQueryNode':
      return `update ${tableOf(n.table)}`;
    case 'DeleteQueryNode':
      return `delete ${tableOf(n.from?.froms?.[0])}`;
    case 'RawNode': {
      const text = (n.sqlFragments as string[]).join('?').replace(/\s+/g, ' ').trim();
      return `raw ${text.slice(0, 48)}`;
    }
    default:
      return node.kind;
  }
}

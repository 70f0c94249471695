// A reader of the Prometheus text exposition format (version 0.0.4), enough to check what a scrape
// says: `# TYPE` lines and samples `name{label="value",...} number`. Label values are unescaped.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  samples: Sample[];
  /** `# TYPE` of each metric family. */
  types: Map<string, string>;
  /** The one sample of `name` whose labels include `labels`; undefined when none, an error when several. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** The sum over the samples of `name` whose labels include `labels` (0 when none). */
  sum(name: string, labels?: Record<string, string>): number;
  /** Whether any sample belongs to the family `name` (a histogram's `_bucket`, `_sum` and `_count` included). */
  has(name: string): boolean;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/gy;

function parseNumber(s: string): number {
  if (s === '+Inf') return Number.POSITIVE_INFINITY;
  if (s === '-Inf') return Number.NEGATIVE_INFINITY;
  // prom-client prints NaN as `Nan`.
  if (s === 'NaN' || s === 'Nan') return Number.NaN;
  const n = Number(s);
  if (Number.isNaN(n)) throw new Error(`Not a sample value: ${s}`);
  return n;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  let at = 0;
  for (let m = LABEL.exec(text); m; m = LABEL.exec(text)) {
    labels[m[1] as string] = (m[2] as string).replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    at = LABEL.lastIndex;
  }
  if (text.slice(at).trim() !== '') throw new Error(`Cannot read labels: {${text}}`);
  return labels;
}

/**
 * Reads a scrape; a line it cannot read is an error (so a malformed exposition fails the test).
 *
 * @example
 * const s = parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
 * expect(s.value('signoff_decisions_total', { route: 'auto' })).toBe(2);
 */
export function parsePrometheusText(text: string): Scrape {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const t = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (t) types.set(t[1] as string, t[2] as string);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`Not a sample line: ${line}`);
    samples.push({ name: m[1] as string, labels: m[3] ? parseLabels(m[3]) : {}, value: parseNumber(m[4] as string) });
  }
  const matching = (name: string, labels: Record<string, string>) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return {
    samples,
    types,
    value(name, labels = {}) {
      const found = matching(name, labels);
      if (found.length > 1)
        throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}: ${JSON.stringify(found)}`);
      return found[0]?.value;
    },
    sum: (name, labels = {}) => matching(name, labels).reduce((a, s) => a + s.value, 0),
    has: (name) =>
      samples.some((s) => s.name === name || s.name.replace(/_(bucket|sum|count)$/, '') === name) || types.has(name),
  };
}

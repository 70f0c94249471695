// The decision trail as a PDF report an auditor can read and file: a title page block with the item,
// who generated it and when, and the audit chain's verification; then timings, state runs, AI
// decisions (with tool calls), human verdicts and the audit events, with page numbers. Laid out
// with pdfkit (its standard Helvetica: no font files to ship).
import { type DecisionTrail, formatDuration, type TrailDecision } from '@signoff/core';
import PDFDocument from 'pdfkit';

/** Who asked for the report, printed on it. */
export interface ReportAuthor {
  email: string;
  name?: string;
}

const MARGIN = 48;
const INK = '#1a1f2b';
const MUTED = '#5b6475';
const RULE = '#c9ced8';
const HEAD_FILL = '#eef1f6';
const OK = '#1b7a3d';
const BAD = '#b42318';

/** Characters the standard fonts can draw (WinAnsi); anything else becomes "?" rather than garbage. */
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');
function printable(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\n' || ch === '\t' || (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff))
      out += ch === '\t' ? ' ' : ch;
    else if (WIN_ANSI_EXTRA.has(ch)) out += ch;
    else if (code < 0x20) out += ' ';
    else out += '?';
  }
  return out;
}

/** Cuts text that would not fit a table row on one page. */
function clip(text: string, max = 700): string {
  return text.length > max ? `${text.slice(0, max)}… [${text.length - max} more characters in the JSON export]` : text;
}

function json(value: unknown, max?: number): string {
  if (value === null || value === undefined) return '-';
  return clip(typeof value === 'string' ? value : JSON.stringify(value), max);
}

/** "2026-03-01 10:00:00 UTC": times in one zone, to the second, as an auditor compares them. */
export function formatUtc(iso: string | null): string {
  if (!iso) return '-';
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${(x * 100).toFixed(1)}%`);
const num = (x: number | null | undefined, digits = 3) =>
  x === null || x === undefined ? '-' : String(Number(x.toFixed(digits)));

/**
 * Renders a trail (already masked for PII by the caller) as a PDF.
 *
 * @example
 * const pdf = await renderTrailPdf(maskPii(trail), { email: 'cora@bank.example' });
 * await writeFile('trail.pdf', pdf);
 */
export function renderTrailPdf(trail: DecisionTrail, author: ReportAuthor): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN, bottom: MARGIN + 14, left: MARGIN, right: MARGIN },
    bufferPages: true,
    info: {
      Title: `Decision trail of item ${trail.item.id}`,
      Author: printable(author.email),
      Subject: `${trail.item.workflow.name} v${trail.item.workflow.version}`,
      Creator: 'Signoff',
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const r = new Report(doc);
  r.cover(trail, author);
  r.timings(trail);
  r.stateRuns(trail);
  r.decisions(trail);
  r.verdicts(trail);
  r.events(trail);
  r.footers(trail);
  doc.end();
  return done;
}

/** Whether a signed checkpoint covers the item's head, as the report says it. */
export function coverageText(c: DecisionTrail['coverage']): string {
  if (c.covered && c.checkpoint)
    return `covered: checkpoint ${c.checkpoint.seq} of ${formatUtc(c.checkpoint.createdAt)} signs the head (event ${c.checkpoint.eventSeq})`;
  if (c.checkpoint)
    return `not covered yet: the newest checkpoint with this item (${c.checkpoint.seq}, ${formatUtc(c.checkpoint.createdAt)}) signs event ${c.checkpoint.eventSeq}; the next one will sign the head`;
  return 'not covered yet: no signed checkpoint includes this item';
}

class Report {
  constructor(private readonly doc: PDFKit.PDFDocument) {}

  private get width() {
    return this.doc.page.width - MARGIN * 2;
  }

  private text(t: string, options: PDFKit.Mixins.TextOptions = {}) {
    this.doc.text(printable(t), options);
  }

  /** Room for `height` points, else a new page. */
  private ensure(height: number) {
    if (this.doc.y + height > this.doc.page.maxY()) this.doc.addPage();
  }

  private heading(title: string) {
    this.ensure(70);
    this.doc.moveDown(0.8);
    this.doc.x = MARGIN;
    this.doc.font('Helvetica-Bold').fontSize(13).fillColor(INK);
    this.text(title);
    const y = this.doc.y + 2;
    this.doc
      .moveTo(MARGIN, y)
      .lineTo(MARGIN + this.width, y)
      .lineWidth(0.6)
      .strokeColor(RULE)
      .stroke();
    this.doc.moveDown(0.5);
    this.doc.font('Helvetica').fontSize(9).fillColor(INK);
  }

  private muted(t: string) {
    this.doc.font('Helvetica').fontSize(9).fillColor(MUTED);
    this.text(t);
    this.doc.fillColor(INK);
  }

  /** A table with a shaded header row; widths are shares of the page width. */
  private table(header: string[], rows: string[][], widths: number[]) {
    const total = widths.reduce((a, b) => a + b, 0);
    const columnStyles = widths.map((w) => (w / total) * this.width);
    this.ensure(40);
    this.doc.x = MARGIN;
    this.doc.font('Helvetica').fontSize(8).fillColor(INK);
    this.doc.table({
      position: { x: MARGIN },
      maxWidth: this.width,
      columnStyles,
      defaultStyle: { border: 0.5, borderColor: RULE, padding: { top: 4, right: 4, bottom: 3, left: 4 } },
      data: [
        header.map((h) => ({
          text: h,
          type: 'TH' as const,
          font: { src: 'Helvetica-Bold', size: 8 },
          backgroundColor: HEAD_FILL,
        })),
        ...rows.map((row) => row.map((cell) => ({ text: printable(cell), font: { src: 'Helvetica', size: 8 } }))),
      ],
    });
    this.doc.x = MARGIN;
    this.doc.moveDown(0.4);
  }

  /** Two columns of name and value. */
  private facts(pairs: [string, string][], valueColor?: (name: string) => string | undefined) {
    const nameWidth = 130;
    this.doc.x = MARGIN;
    this.doc.table({
      position: { x: MARGIN },
      maxWidth: this.width,
      columnStyles: [nameWidth, this.width - nameWidth],
      defaultStyle: { border: 0, padding: [2, 4, 2, 0] },
      data: pairs.map(([name, value]) => [
        { text: name, font: { src: 'Helvetica-Bold', size: 9 }, textColor: MUTED },
        { text: printable(value), font: { src: 'Helvetica', size: 9 }, textColor: valueColor?.(name) ?? INK },
      ]),
    });
    this.doc.x = MARGIN;
  }

  cover(trail: DecisionTrail, author: ReportAuthor) {
    const { doc } = this;
    const i = trail.item;
    doc.font('Helvetica-Bold').fontSize(20).fillColor(INK);
    this.text('Decision trail report');
    doc.moveDown(0.2);
    doc.font('Helvetica').fontSize(11).fillColor(MUTED);
    this.text(`Item ${i.id}`);
    doc.moveDown(0.8);
    const v = trail.verification;
    const verification = v.ok
      ? `Verified: the hash chain of ${v.checked} events is intact up to its recorded head (event ${v.head.seq}).`
      : `NOT VERIFIED: the chain breaks at event ${v.broken?.seq}: ${v.broken?.reason}.`;
    this.facts(
      [
        ['Workflow', `${i.workflow.name} version ${i.workflow.version}`],
        ['Workflow hash', i.workflow.hash],
        ['Status', i.currentState && !trail.timings.finished ? `${i.status} (at ${i.currentState})` : i.status],
        ['Submitted', formatUtc(i.createdAt)],
        ['Finished', i.finishedAt ? formatUtc(i.finishedAt) : 'not yet'],
        ['Generated at', formatUtc(trail.generatedAt)],
        ['Generated by', author.name ? `${author.name} <${author.email}>` : author.email],
        ['Audit chain', verification],
        ['Chain head', `event ${v.head.seq}, SHA-256 ${v.head.hash}`],
        ['Signed checkpoint', coverageText(trail.coverage)],
      ],
      (name) =>
        name === 'Audit chain'
          ? v.ok
            ? OK
            : BAD
          : name === 'Signed checkpoint' && !trail.coverage.covered
            ? MUTED
            : undefined,
    );
    doc.moveDown(0.4);
    this.muted(
      'Personal data (e-mail addresses, phone and card numbers, IBANs) is masked in this report. Payloads come from ' +
        "the item's records; the audit chain proves the sequence of events. The JSON export holds the same trail in full.",
    );
    this.heading('Input');
    doc.font('Courier').fontSize(8).fillColor(INK);
    this.text(json(i.input, 1500), { width: this.width });
    if (i.error) {
      doc.moveDown(0.3);
      doc.font('Helvetica-Bold').fontSize(9).fillColor(BAD);
      this.text(`Error: ${json(i.error, 600)}`);
    }
    doc.font('Helvetica').fillColor(INK);
  }

  timings(trail: DecisionTrail) {
    const t = trail.timings;
    this.heading('Timings');
    this.facts([
      ['Time to first decision', formatDuration(t.timeToFirstDecisionMs)],
      ['Waiting for review', formatDuration(t.waitingForReviewMs)],
      [t.finished ? 'Total' : 'Total so far', formatDuration(t.totalMs)],
      ['Decisions / verdicts', `${trail.decisions.length} AI decisions, ${trail.verdicts.length} human verdicts`],
    ]);
  }

  stateRuns(trail: DecisionTrail) {
    this.heading('State runs');
    if (trail.stateRuns.length === 0) return this.muted('No state has run.');
    this.table(
      ['State', 'Visit', 'Kind', 'Status', 'Tries', 'Started', 'Finished', 'Duration', 'Next'],
      trail.stateRuns.map((r) => [
        r.state,
        String(r.visit),
        r.kind,
        r.status,
        String(r.attempts),
        formatUtc(r.startedAt),
        formatUtc(r.finishedAt),
        formatDuration(r.durationMs),
        r.nextState ?? '-',
      ]),
      [15, 6, 9, 9, 6, 18, 18, 10, 12],
    );
  }

  decisions(trail: DecisionTrail) {
    this.heading('AI decisions');
    if (trail.decisions.length === 0) return this.muted('No AI decision was made.');
    trail.decisions.forEach((d, n) => {
      this.decision(d, n + 1);
    });
  }

  private decision(d: TrailDecision, n: number) {
    const { doc } = this;
    this.ensure(180);
    doc.moveDown(0.3);
    doc.font('Helvetica-Bold').fontSize(10.5).fillColor(INK);
    this.text(`${n}. ${d.state}${d.visit ? ` (visit ${d.visit})` : ''}: "${d.label ?? 'no answer'}", route ${d.route}`);
    doc.moveDown(0.15);
    const c = d.confidence;
    const policy = d.policy
      ? `version ${d.policy.version} (${d.policy.status}; target error ${pct(d.policy.maxError)} at ${pct(d.policy.confidence)} confidence; QA sampling ${pct(d.policy.auditRate)}; since ${formatUtc(d.policy.since)}: ${d.policy.reason})`
      : 'none (fixed threshold in the workflow)';
    const certificate = d.certificate
      ? `${d.certificate.id}: threshold ${num(d.certificate.threshold)} for error <= ${pct(d.certificate.maxError)} at ${pct(d.certificate.confidence)} (${d.certificate.labelsUsed} labels, upper bound ${pct(d.certificate.upperBound)})`
      : 'none';
    const checker = d.checker
      ? `${d.checker.agent}: ${d.checker.agrees ? 'agrees' : 'disagrees'} ("${d.checker.label ?? '-'}", ${pct(d.checker.confidence)}) ${d.checker.message}`
      : 'none';
    this.facts([
      ['Decided at', formatUtc(d.at)],
      ['Agent', d.agent],
      ['Provider / model', `${d.provider} / ${d.model}`],
      ['Model version', d.modelVersion],
      ['Prompt version', d.promptVersion],
      ['Raw confidence', `${pct(c.raw)} (${c.method})${c.note ? `; ${c.note}` : ''}`],
      [
        'Calibrated confidence',
        `${pct(c.calibrated)} (${c.calibrator ? `${c.calibrator.method} calibrator ${c.calibrator.id}, ${c.calibrator.labelCount} labels` : 'no calibrator: equals the raw confidence'})`,
      ],
      ['Score / threshold', `${num(d.score)} / ${num(d.threshold)}`],
      ['Audit probability', num(d.auditProbability)],
      ['Policy in force', policy],
      ['Certificate', certificate],
      ['Route', d.route],
      ['Reasons', d.reasons.length ? d.reasons.map((r) => `${r.message} [${r.code}]`).join('; ') : '-'],
      ['Checker', checker],
      [
        'Tokens / cost / latency',
        `${d.usage.tokensIn ?? '-'} in, ${d.usage.tokensOut ?? '-'} out; ${d.usage.costUsd === null ? 'cost unknown' : `$${d.usage.costUsd.toFixed(6)}`}; ${formatDuration(d.usage.latencyMs)}`,
      ],
      ['Input hash', d.inputHash],
      ['Rationale', d.rationale ? clip(d.rationale, 600) : '-'],
    ]);
    if (d.toolCalls.length > 0) {
      doc.moveDown(0.2);
      doc.font('Helvetica-Bold').fontSize(9).fillColor(INK);
      this.text('Tool calls');
      this.table(
        ['Tool', 'Arguments', 'Result', 'Latency'],
        d.toolCalls.map((t) => [
          t.name,
          json(t.arguments, 400),
          t.ok ? json(t.result, 500) : `failed: ${t.error ?? '-'}`,
          formatDuration(t.latencyMs),
        ]),
        [14, 30, 44, 10],
      );
    }
  }

  verdicts(trail: DecisionTrail) {
    this.heading('Human verdicts');
    if (trail.verdicts.length === 0) return this.muted('No person reviewed this item.');
    this.table(
      ['When', 'Reviewer', 'Task', 'Verdict', 'Outcome', 'Reason', 'Waited', 'Time taken'],
      trail.verdicts.map((v) => [
        formatUtc(v.at),
        `${v.reviewer.name}\n${v.reviewer.email}`,
        `${v.kind}${v.reviewersRequired && v.reviewersRequired > 1 ? ` ${v.slot} of ${v.reviewersRequired}` : ''} at ${v.state}${v.final === false ? ' (not final)' : ''}`,
        `${v.verdict}: ${v.label}${v.aiLabel ? ` (AI: ${v.aiLabel})` : ''}`,
        v.outcome,
        v.reason ?? '-',
        formatDuration(v.waitedMs),
        formatDuration(v.timeTakenMs),
      ]),
      [14, 18, 13, 14, 9, 18, 8, 8],
    );
  }

  events(trail: DecisionTrail) {
    this.heading('Audit events');
    this.muted(`${trail.events.length} events of the item's hash chain, in order.`);
    this.doc.moveDown(0.3);
    this.table(
      ['#', 'Time', 'Action', 'Actor', 'Hash'],
      trail.events.map((e) => [
        String(e.seq),
        formatUtc(e.at),
        e.action,
        e.actor.type === 'system'
          ? 'system'
          : `${e.actor.type === 'api_key' ? 'API key ' : ''}${e.actor.name ?? e.actor.id ?? '-'}`,
        e.hash.slice(0, 20),
      ]),
      [5, 23, 21, 29, 22],
    );
  }

  /** Every page: the item and page "n of N" at the foot. */
  footers(trail: DecisionTrail) {
    const { doc } = this;
    const range = doc.bufferedPageRange();
    for (let p = range.start; p < range.start + range.count; p++) {
      doc.switchToPage(p);
      const y = doc.page.height - MARGIN + 4;
      // Below the bottom margin: no automatic page break while writing the footer.
      const bottom = doc.page.margins.bottom;
      doc.page.margins.bottom = 0;
      doc.font('Helvetica').fontSize(8).fillColor(MUTED);
      doc.text(printable(`Decision trail of item ${trail.item.id}`), MARGIN, y, { lineBreak: false });
      doc.text(`Page ${p - range.start + 1} of ${range.count}`, MARGIN, y, { width: this.width, align: 'right' });
      doc.page.margins.bottom = bottom;
    }
  }
}

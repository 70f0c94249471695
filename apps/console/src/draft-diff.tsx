import { diffLines, diffWords } from 'diff';
import { useId, useState } from 'react';

type DiffMode = 'words' | 'lines';

/**
 * What the reviewer changed in a free-text draft, against the AI's: removed text struck through,
 * added text underlined, by words or by lines. Screen readers hear "removed" and "added" before
 * each change (the colours and lines are not all a reader gets).
 */
export function DraftDiff({ ai, draft, label }: { ai: string; draft: string; label: string }) {
  const id = useId();
  const [mode, setMode] = useState<DiffMode>('words');
  const parts = mode === 'words' ? diffWords(ai, draft) : diffLines(ai, draft);
  return (
    <figure className="sf-diff">
      <figcaption className="sf-diff-header">
        <span className="muted small">Changes to the AI's draft of {label.toLowerCase()}</span>
        <fieldset className="sf-diff-mode">
          <legend className="visually-hidden">Compare {label} by</legend>
          {(['words', 'lines'] as const).map((m) => (
            <label key={m} className="small">
              <input type="radio" name={`${id}-mode`} checked={mode === m} onChange={() => setMode(m)} /> {m}
            </label>
          ))}
        </fieldset>
      </figcaption>
      <div className={`sf-diff-body sf-diff-${mode}`} data-testid="draft-diff">
        {parts.map((p, i) =>
          p.added ? (
            // biome-ignore lint/suspicious/noArrayIndexKey: the parts have no identity beyond their order.
            <ins key={i}>
              <span className="visually-hidden">added: </span>
              {p.value}
            </ins>
          ) : p.removed ? (
            // biome-ignore lint/suspicious/noArrayIndexKey: as above.
            <del key={i}>
              <span className="visually-hidden">removed: </span>
              {p.value}
            </del>
          ) : (
            // biome-ignore lint/suspicious/noArrayIndexKey: as above.
            <span key={i}>{p.value}</span>
          ),
        )}
      </div>
    </figure>
  );
}

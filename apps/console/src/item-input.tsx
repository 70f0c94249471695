import { formatMoney } from './format';
import { JsonValue, PiiField, PiiText, useCanReveal } from './pii-reveal';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const TICKET_META: [key: string, label: string][] = [
  ['ticketId', 'Ticket'],
  ['channel', 'Channel'],
  ['language', 'Language'],
];

/**
 * An item's input as a reviewer reads it: a message (subject, body, customer) when it looks like
 * one, otherwise the JSON, pretty-printed. Fields the message layout does not show stay visible.
 */
export function ItemInput({ input }: { input: unknown }) {
  if (
    !isObject(input) ||
    (typeof input.subject !== 'string' && typeof input.body !== 'string' && !isObject(input.customer))
  )
    return <JsonBlock value={input} />;
  const shown = new Set(['subject', 'body', 'customer', 'refundAmount', ...TICKET_META.map(([k]) => k)]);
  const rest = Object.fromEntries(Object.entries(input).filter(([k]) => !shown.has(k)));
  const customer = isObject(input.customer) ? input.customer : null;
  const meta = TICKET_META.filter(([k]) => input[k] !== undefined && input[k] !== null);
  return (
    <div className="message">
      {typeof input.subject === 'string' && (
        <h3 className="message-subject">
          <PiiField name="subject">
            <PiiText text={input.subject} />
          </PiiField>
        </h3>
      )}
      {(meta.length > 0 || typeof input.refundAmount === 'number') && (
        <dl className="inline-meta">
          {meta.map(([k, label]) => (
            <div key={k}>
              <dt>{label}</dt>
              <dd>
                <PiiField name={k}>
                  <PiiText text={String(input[k])} />
                </PiiField>
              </dd>
            </div>
          ))}
          {typeof input.refundAmount === 'number' && (
            <div>
              <dt>Refund requested</dt>
              <dd className="strong">{formatMoney(input.refundAmount)}</dd>
            </div>
          )}
        </dl>
      )}
      {typeof input.body === 'string' && (
        <div className="message-body">
          <PiiField name="body">
            <PiiText text={input.body} />
          </PiiField>
        </div>
      )}
      {customer && (
        <PiiField name="customer">
          <CustomerCard customer={customer} />
        </PiiField>
      )}
      {Object.keys(rest).length > 0 && (
        <details className="details">
          <summary>Other fields</summary>
          <JsonBlock value={rest} />
        </details>
      )}
    </div>
  );
}

function CustomerCard({ customer }: { customer: Json }) {
  const { name, email, tier, lifetimeValue, ...rest } = customer;
  return (
    <section className="customer" aria-label="Customer">
      <div className="customer-main">
        <span className="avatar" aria-hidden="true">
          {typeof name === 'string' ? initials(name) : '?'}
        </span>
        <div>
          <div className="strong">{typeof name === 'string' ? name : 'Customer'}</div>
          {typeof email === 'string' && (
            <div className="muted small">
              <PiiField name="email">
                <PiiText text={email} />
              </PiiField>
            </div>
          )}
        </div>
      </div>
      <dl className="inline-meta">
        {typeof tier === 'string' && (
          <div>
            <dt>Tier</dt>
            <dd>
              <span className={`tier tier-${tier}`}>{tier}</span>
            </dd>
          </div>
        )}
        {typeof lifetimeValue === 'number' && (
          <div>
            <dt>Lifetime value</dt>
            <dd>{formatMoney(lifetimeValue)}</dd>
          </div>
        )}
        {Object.entries(rest).map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>
              <PiiField name={k}>{typeof v === 'object' ? JSON.stringify(v) : <PiiText text={String(v)} />}</PiiField>
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((p) => p[0]?.toUpperCase() ?? '')
    .join('');
}

export function JsonBlock({ value }: { value: unknown }) {
  // With pii:read inside an item's scope, masked strings get a reveal button.
  const canReveal = useCanReveal();
  if (canReveal)
    return (
      <pre className="json">
        <JsonValue value={value} />
      </pre>
    );
  return <pre className="json">{JSON.stringify(value, null, 2)}</pre>;
}

/** A flat object as a definition list (a review step's `summary`), JSON otherwise. */
export function KeyValues({ value }: { value: unknown }) {
  if (!isObject(value)) return <JsonBlock value={value} />;
  return (
    <dl className="kv">
      {Object.entries(value).map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>
            <PiiField name={k}>
              {v === null || typeof v !== 'object' ? <PiiText text={String(v)} /> : <JsonBlock value={v} />}
            </PiiField>
          </dd>
        </div>
      ))}
    </dl>
  );
}

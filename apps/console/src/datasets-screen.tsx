import {
  DATASET_FORMATS,
  DATASET_SPLITS,
  type DatasetFormat,
  type DatasetSplit,
  LABEL_SOURCES,
  type LabelSource,
} from '@signoff/core/schemas';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { Message } from './app';
import { formatDateTime } from './format';
import { Link, navigate, paths } from './router';
import { csrfToken } from './session';
import { fieldErrorsOf, messageOf, type Outputs, useTRPC } from './trpc';
import './datasets.css';

type Snapshot = Outputs['datasets']['get'];

const SOURCE_NAMES: Record<LabelSource, string> = {
  review: 'Routed review',
  audit_sample: 'Audit (QA) sample',
  adjudication: 'Adjudication',
};
const FORMAT_NAMES: Record<DatasetFormat, string> = {
  jsonl: 'JSONL',
  csv: 'CSV',
  chat: 'Chat JSONL (fine-tuning)',
  parquet: 'Parquet',
};

/** The download link of a snapshot's file: the session cookie goes with it, the CSRF proof in the query. */
export function downloadHref(snapshotId: string, format: DatasetFormat, split?: DatasetSplit): string {
  const q = new URLSearchParams({ format });
  if (split) q.set('split', split);
  const csrf = csrfToken();
  if (csrf) q.set('csrf', csrf);
  return `/trpc/datasets/${snapshotId}/export?${q.toString()}`;
}

/** Dataset snapshots: make one from filters, read its manifest, download it in any format and split. */
export function DatasetsScreen({ snapshotId }: { snapshotId?: string }) {
  const trpc = useTRPC();
  const list = useQuery(trpc.datasets.list.queryOptions());
  return (
    <div className="screen">
      <div className="screen-header">
        <div>
          <h1>Datasets</h1>
          <p className="muted">
            Immutable snapshots of human labels, split into train, validation and test by item, with a manifest and a
            content hash. The same snapshot always downloads to the same bytes.
          </p>
        </div>
      </div>
      <div className="datasets-layout">
        <section className="panel" aria-labelledby="snapshots-heading">
          <h2 id="snapshots-heading">Snapshots</h2>
          {list.isPending ? (
            <p className="loading">Loading…</p>
          ) : list.isError ? (
            <p className="form-error" role="alert">
              {messageOf(list.error)}
            </p>
          ) : list.data.length === 0 ? (
            <p className="muted">No snapshots yet: create one with the form.</p>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Created</th>
                  <th scope="col" className="num">
                    Labels
                  </th>
                  <th scope="col">SHA-256</th>
                </tr>
              </thead>
              <tbody>
                {list.data.map((s) => (
                  <tr key={s.id} aria-current={s.id === snapshotId ? 'true' : undefined}>
                    <th scope="row">
                      <Link href={paths.dataset(s.id)}>{s.name}</Link>
                    </th>
                    <td>{formatDateTime(s.createdAt)}</td>
                    <td className="num">{s.rowCount}</td>
                    <td className="mono small">{s.contentHash.slice(0, 12)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        {snapshotId ? <SnapshotDetail key={snapshotId} snapshotId={snapshotId} /> : <CreateSnapshotForm />}
      </div>
    </div>
  );
}

const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function CreateSnapshotForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [form, setForm] = useState({
    name: '',
    workflow: '',
    states: '',
    from: '',
    to: '',
    modelVersions: '',
    reviewers: '',
    seed: '',
    train: '0.8',
    validation: '0.1',
    test: '0.1',
  });
  const [sources, setSources] = useState<LabelSource[]>([]);
  const create = useMutation(
    trpc.datasets.create.mutationOptions({
      onSuccess: async (s) => {
        await queryClient.invalidateQueries({ queryKey: trpc.datasets.list.queryKey() });
        navigate(paths.dataset(s.id));
      },
    }),
  );
  const errors = Object.fromEntries(fieldErrorsOf(create.error).map((f) => [f.path, f.message]));
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({
      name: form.name,
      filters: {
        ...(form.workflow.trim() ? { workflow: form.workflow.trim() } : {}),
        ...(list(form.states).length ? { states: list(form.states) } : {}),
        ...(form.from ? { from: new Date(form.from) } : {}),
        ...(form.to ? { to: new Date(form.to) } : {}),
        ...(list(form.modelVersions).length ? { modelVersions: list(form.modelVersions) } : {}),
        ...(sources.length ? { sources } : {}),
        ...(list(form.reviewers).length ? { reviewers: list(form.reviewers) } : {}),
      },
      fractions: { train: Number(form.train), validation: Number(form.validation), test: Number(form.test) },
      ...(form.seed.trim() ? { seed: form.seed.trim() } : {}),
    });
  };
  const field = (k: keyof typeof form, label: string, path: string, props: { type?: string; hint?: string } = {}) => (
    <div className="field">
      <label htmlFor={`${id}-${k}`}>{label}</label>
      <input
        id={`${id}-${k}`}
        type={props.type ?? 'text'}
        value={form[k]}
        onChange={set(k)}
        aria-invalid={errors[path] ? true : undefined}
        aria-describedby={errors[path] ? `${id}-${k}-error` : undefined}
        {...(props.type === 'number' ? { step: '0.01', min: '0', max: '1' } : {})}
      />
      {props.hint && <p className="muted small">{props.hint}</p>}
      {errors[path] && (
        <p className="field-error" id={`${id}-${k}-error`}>
          {errors[path]}
        </p>
      )}
    </div>
  );
  const otherErrors = fieldErrorsOf(create.error).filter(
    (f) => !/^(name|filters\.(workflow|states|from|to|modelVersions|reviewers)|fractions\.|seed)/.test(f.path),
  );
  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>New snapshot</h2>
      <form onSubmit={submit} noValidate>
        {create.isError && (
          <p className="form-error" role="alert">
            {otherErrors.length
              ? otherErrors.map((f) => f.message).join('; ')
              : Object.keys(errors).length
                ? 'Check the fields marked below.'
                : messageOf(create.error)}
          </p>
        )}
        {field('name', 'Name', 'name')}
        {field('workflow', 'Workflow', 'filters.workflow', { hint: 'Leave empty for every workflow' })}
        {field('states', 'States', 'filters.states', { hint: 'Comma-separated' })}
        <div className="field-row">
          {field('from', 'Labelled from', 'filters.from', { type: 'datetime-local' })}
          {field('to', 'Labelled before', 'filters.to', { type: 'datetime-local' })}
        </div>
        {field('modelVersions', 'Model versions', 'filters.modelVersions', { hint: 'Comma-separated' })}
        <fieldset>
          <legend>Label sources</legend>
          {LABEL_SOURCES.map((s) => (
            <label key={s} className="field-inline">
              <input
                type="checkbox"
                checked={sources.includes(s)}
                onChange={(e) => setSources(e.target.checked ? [...sources, s] : sources.filter((x) => x !== s))}
              />
              {SOURCE_NAMES[s]}
            </label>
          ))}
          <p className="muted small">None ticked: every source</p>
        </fieldset>
        {field('reviewers', 'Reviewers', 'filters.reviewers', { hint: 'Emails or user ids, comma-separated' })}
        <div className="field-row">
          {field('train', 'Train', 'fractions.train', { type: 'number' })}
          {field('validation', 'Validation', 'fractions.validation', { type: 'number' })}
          {field('test', 'Test', 'fractions.test', { type: 'number' })}
        </div>
        {field('seed', 'Split seed', 'seed', { hint: "Default: the snapshot's id" })}
        <button type="submit" className="button button-primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create snapshot'}
        </button>
      </form>
    </section>
  );
}

function Counts({ counts }: { counts: Record<string, number> }) {
  const entries = Object.entries(counts);
  if (entries.length === 0) return <span className="muted">none</span>;
  return <>{entries.map(([k, n]) => `${k} ${n}`).join(' · ')}</>;
}

function SnapshotDetail({ snapshotId }: { snapshotId: string }) {
  const trpc = useTRPC();
  const snapshot = useQuery(trpc.datasets.get.queryOptions({ snapshotId }));
  if (snapshot.isPending) return <p className="loading">Loading…</p>;
  if (snapshot.isError) return <Message title="Cannot load the snapshot">{messageOf(snapshot.error)}</Message>;
  const s: Snapshot = snapshot.data;
  const m = s.manifest;
  return (
    <section className="panel" aria-labelledby="manifest-heading">
      <h2 id="manifest-heading">{s.name}</h2>
      <p className="muted small">
        Created {formatDateTime(s.createdAt)} · seed <span className="mono">{m.seed}</span> · SHA-256{' '}
        <span className="mono">{s.contentHash}</span>
      </p>
      <h3>Download</h3>
      <table className="table downloads">
        <thead>
          <tr>
            <th scope="col">Format</th>
            <th scope="col">All</th>
            {DATASET_SPLITS.map((split) => (
              <th scope="col" key={split}>
                {split}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {DATASET_FORMATS.map((format) => (
            <tr key={format}>
              <th scope="row">{FORMAT_NAMES[format]}</th>
              <td>
                <a href={downloadHref(s.id, format)} download aria-label={`Download all as ${FORMAT_NAMES[format]}`}>
                  all
                </a>
              </td>
              {DATASET_SPLITS.map((split) => (
                <td key={split}>
                  <a
                    href={downloadHref(s.id, format, split)}
                    download
                    aria-label={`Download ${split} as ${FORMAT_NAMES[format]}`}
                  >
                    {split} ({m.counts.bySplit[split]?.rows ?? 0})
                  </a>
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Manifest</h3>
      <dl className="manifest">
        <dt>Labels</dt>
        <dd>
          {m.counts.rows} on {m.counts.items} items ({m.counts.corrections} corrections)
        </dd>
        {DATASET_SPLITS.map((split) => (
          <div key={split} className="manifest-row">
            <dt>{split}</dt>
            <dd>
              {m.counts.bySplit[split]?.rows ?? 0} labels, {m.counts.bySplit[split]?.items ?? 0} items:{' '}
              <Counts counts={m.labels.bySplit[split] ?? {}} />
            </dd>
          </div>
        ))}
        <dt>Label distribution</dt>
        <dd>
          <Counts counts={m.labels.overall} />
        </dd>
        <dt>Sources</dt>
        <dd>
          <Counts counts={m.sources} />
        </dd>
        <dt>Model versions</dt>
        <dd>
          {m.modelVersions.map((v) => `${v.agent ?? '(no decision)'} ${v.modelVersion ?? ''}: ${v.rows}`).join(' · ')}
        </dd>
        <dt>Inclusion probabilities</dt>
        <dd>
          {m.sampling.rowsWithProbability} labels with π from {m.sampling.min ?? '–'} to {m.sampling.max ?? '–'} (
          {m.sampling.rowsWithoutProbability} without); Σ 1/π = {m.sampling.weightTotal}. Weight each row by 1 /{' '}
          <code>inclusion_probability</code> to estimate over all decisions.
        </dd>
        <dt>Filters</dt>
        <dd className="mono small">{JSON.stringify(m.filters)}</dd>
      </dl>
      <p>
        <Link href={paths.datasets()}>New snapshot</Link>
      </p>
    </section>
  );
}

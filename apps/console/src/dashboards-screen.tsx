import { useQuery } from '@tanstack/react-query';
import { type ReactNode, useId, useMemo, useState } from 'react';
import type { DashboardFilters } from './dashboard-parts';
import { CalibrationDashboard, ConfusionDashboard, StateTimesDashboard } from './dashboards-diagnostics';
import { FieldDashboards } from './dashboards-fields';
import { QueuesDashboard, ReviewVolumeDashboard, ThroughputDashboard } from './dashboards-operations';
import {
  AccuracyDashboard,
  AgreementDashboard,
  AutomationDashboard,
  OverridesDashboard,
  UsageDashboard,
} from './dashboards-quality';
import { useCan } from './session';
import { useTRPC } from './trpc';
import './trust.css';
import './dashboards.css';

const RANGES = [
  { days: 1, name: 'Last 24 hours' },
  { days: 7, name: 'Last 7 days' },
  { days: 30, name: 'Last 30 days' },
  { days: 90, name: 'Last 90 days' },
  { days: 365, name: 'Last 365 days' },
] as const;

/**
 * The dashboards a role's work needs, under one set of filters: reviewers see their queues and
 * output, compliance the quality of what the AI decided, data scientists everything.
 */
export function DashboardsScreen() {
  const id = useId();
  const trpc = useTRPC();
  // The filter lists name workflows, states and model versions (`item:read`); reviewers, who see
  // items only through their tasks, filter by time alone.
  const canFilter = useCan('item:read');
  const options = useQuery({ ...trpc.dashboards.options.queryOptions(), enabled: canFilter });
  const canOperations = useCan('dashboard:operations');
  const canQuality = useCan('metrics:read');
  const canDiagnostics = useCan('dashboard:diagnostics');
  const [workflow, setWorkflow] = useState('');
  const [state, setState] = useState('');
  const [modelVersion, setModelVersion] = useState('');
  const [days, setDays] = useState(30);
  const filters = useMemo<DashboardFilters>(() => {
    // To the next minute, so the query keys (and caches) stay the same between renders.
    const to = new Date(Math.ceil(Date.now() / 60_000) * 60_000);
    return {
      ...(workflow ? { workflow } : {}),
      ...(state ? { state } : {}),
      ...(modelVersion ? { modelVersion } : {}),
      from: new Date(to.getTime() - days * 86_400_000).toISOString(),
      to: to.toISOString(),
    };
  }, [workflow, state, modelVersion, days]);
  const bucket = days > 30 ? 'week' : 'day';
  const select = (
    name: string,
    value: string,
    set: (v: string) => void,
    choices: readonly string[] | undefined,
    all: string,
  ) => (
    <div className="field field-inline">
      <label htmlFor={`${id}-${name}`}>{name}</label>
      <select id={`${id}-${name}`} value={value} onChange={(e) => set(e.target.value)}>
        <option value="">{all}</option>
        {(choices ?? []).map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    </div>
  );

  return (
    <div className="screen">
      <div className="screen-header">
        <div>
          <h1>Dashboards</h1>
          <p className="muted">
            Accuracy, calibration, agreement, automation, queues, time and cost, from the decisions, labels and review
            tasks in the database.
          </p>
        </div>
      </div>
      <search className="dashboard-filters" aria-label="Dashboard filters">
        {canFilter && select('Workflow', workflow, setWorkflow, options.data?.workflows, 'All workflows')}
        {canFilter && select('State', state, setState, options.data?.states, 'All states')}
        {canFilter &&
          select('Model version', modelVersion, setModelVersion, options.data?.modelVersions, 'All model versions')}
        <div className="field field-inline">
          <label htmlFor={`${id}-range`}>Range</label>
          <select id={`${id}-range`} value={days} onChange={(e) => setDays(Number(e.target.value))}>
            {RANGES.map((r) => (
              <option key={r.days} value={r.days}>
                {r.name}
              </option>
            ))}
          </select>
        </div>
      </search>
      {canOperations && (
        <DashboardGroup title="Operations">
          <QueuesDashboard filters={filters} />
          <ReviewVolumeDashboard filters={filters} bucket={bucket} />
          <ThroughputDashboard filters={filters} />
        </DashboardGroup>
      )}
      {canQuality && (
        <DashboardGroup title="Quality">
          <AccuracyDashboard filters={filters} bucket={bucket === 'day' && days > 7 ? 'week' : bucket} />
          <AutomationDashboard filters={filters} bucket={bucket} />
          <OverridesDashboard filters={filters} />
          <AgreementDashboard filters={filters} />
          <UsageDashboard filters={filters} />
        </DashboardGroup>
      )}
      {canDiagnostics && (
        <DashboardGroup title="Diagnostics">
          <ConfusionDashboard filters={filters} />
          <CalibrationDashboard filters={filters} />
          <StateTimesDashboard filters={filters} />
        </DashboardGroup>
      )}
      {canFilter && (
        <FieldDashboards
          filters={filters}
          bucket={bucket === 'day' && days > 7 ? 'week' : bucket}
          canQuality={canQuality}
          canDiagnostics={canDiagnostics}
        />
      )}
    </div>
  );
}

function DashboardGroup({ title, children }: { title: string; children: ReactNode }) {
  const id = useId();
  return (
    <section className="dashboard-group" aria-labelledby={`${id}-group`}>
      <h2 id={`${id}-group`} className="dashboard-group-title">
        {title}
      </h2>
      <div className="dashboard-grid">{children}</div>
    </section>
  );
}

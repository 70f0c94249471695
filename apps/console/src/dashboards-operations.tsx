import { useQuery } from '@tanstack/react-query';
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from 'recharts';
import { ChartFigure, COLORS, type DashboardFilters, DashboardPanel, formatSeconds } from './dashboard-parts';
import { useTRPC } from './trpc';

const REFRESH_MS = 15_000;

export function QueuesDashboard({ filters }: { filters: Pick<DashboardFilters, 'workflow' | 'state'> }) {
  const trpc = useTRPC();
  const query = useQuery({
    ...trpc.dashboards.queues.queryOptions({ workflow: filters.workflow, state: filters.state }),
    refetchInterval: REFRESH_MS,
  });
  return (
    <DashboardPanel
      title="Queue depth and age"
      intro="Open review tasks per queue now (pending and claimed), and how long the oldest has waited."
      query={query}
      isEmpty={(d) => d.length === 0}
      empty="No open review tasks: every queue is empty."
    >
      {(rows) => (
        <ChartFigure
          title="Open tasks per queue"
          summary={`${rows.reduce((a, r) => a + r.open, 0)} open tasks in ${rows.length} queues; the oldest has waited ${formatSeconds(Math.max(...rows.map((r) => r.oldestAgeSeconds)))}.`}
          chart={
            <BarChart
              className="chart-canvas"
              responsive
              data={rows}
              margin={{ top: 8, right: 24, bottom: 8, left: 8 }}
            >
              <CartesianGrid stroke={COLORS.grid} strokeDasharray="3 3" />
              <XAxis dataKey="queue" />
              <YAxis allowDecimals={false} width={48} />
              <Tooltip />
              <Legend />
              <Bar dataKey="pending" name="Pending" stackId="open" fill={COLORS.accent} isAnimationActive={false} />
              <Bar dataKey="claimed" name="Claimed" stackId="open" fill={COLORS.ok} isAnimationActive={false} />
            </BarChart>
          }
          table={{
            columns: ['Queue', 'Open', 'Pending', 'Claimed', 'Overdue', 'Oldest waiting'],
            rows: rows.map((r) => [
              r.queue,
              r.open,
              r.pending,
              r.claimed,
              r.overdue,
              formatSeconds(r.oldestAgeSeconds),
            ]),
          }}
        />
      )}
    </DashboardPanel>
  );
}

export function ReviewVolumeDashboard({ filters, bucket }: { filters: DashboardFilters; bucket: 'day' | 'week' }) {
  const trpc = useTRPC();
  const query = useQuery(
    trpc.dashboards.reviewVolume.queryOptions({
      workflow: filters.workflow,
      state: filters.state,
      from: filters.from,
      to: filters.to,
      bucket,
    }),
  );
  return (
    <DashboardPanel
      title="Review volume"
      intro="Review tasks created and completed, QA samples included."
      query={query}
      isEmpty={(d) => d.every((p) => p.created === 0 && p.done === 0)}
      empty="No review tasks created or completed in this window."
    >
      {(points) => (
        <ChartFigure
          title="Tasks created and completed"
          summary={`${points.reduce((a, p) => a + p.created, 0)} created, ${points.reduce((a, p) => a + p.done, 0)} completed.`}
          chart={
            <BarChart
              className="chart-canvas"
              responsive
              data={points}
              margin={{ top: 8, right: 24, bottom: 8, left: 8 }}
            >
              <CartesianGrid stroke={COLORS.grid} strokeDasharray="3 3" />
              <XAxis dataKey="bucket" />
              <YAxis allowDecimals={false} width={48} />
              <Tooltip />
              <Legend />
              <Bar dataKey="created" name="Created" fill={COLORS.accent} isAnimationActive={false} />
              <Bar dataKey="done" name="Completed" fill={COLORS.ok} isAnimationActive={false} />
            </BarChart>
          }
          table={{
            columns: ['Bucket', 'Created', 'Of them QA', 'Completed'],
            rows: points.map((p) => [p.bucket, p.created, p.createdQa, p.done]),
          }}
        />
      )}
    </DashboardPanel>
  );
}

export function ThroughputDashboard({ filters }: { filters: DashboardFilters }) {
  const trpc = useTRPC();
  const query = useQuery(
    trpc.dashboards.throughput.queryOptions({ workflow: filters.workflow, from: filters.from, to: filters.to }),
  );
  return (
    <DashboardPanel
      title="Throughput"
      intro="Items that finished per day, by how they ended."
      query={query}
      isEmpty={(d) => d.every((p) => p.finished === 0)}
      empty="No items finished in this window."
    >
      {(points) => (
        <ChartFigure
          title="Items finished per day"
          summary={`${points.reduce((a, p) => a + p.finished, 0)} items finished.`}
          chart={
            <BarChart
              className="chart-canvas"
              responsive
              data={points}
              margin={{ top: 8, right: 24, bottom: 8, left: 8 }}
            >
              <CartesianGrid stroke={COLORS.grid} strokeDasharray="3 3" />
              <XAxis dataKey="bucket" />
              <YAxis allowDecimals={false} width={48} />
              <Tooltip />
              <Legend />
              <Bar dataKey="succeeded" name="Succeeded" stackId="f" fill={COLORS.ok} isAnimationActive={false} />
              <Bar dataKey="rejected" name="Rejected" stackId="f" fill={COLORS.warn} isAnimationActive={false} />
              <Bar dataKey="failed" name="Failed" stackId="f" fill={COLORS.danger} isAnimationActive={false} />
            </BarChart>
          }
          table={{
            columns: ['Day', 'Finished', 'Succeeded', 'Rejected', 'Failed'],
            rows: points.map((p) => [p.bucket, p.finished, p.succeeded, p.rejected, p.failed]),
          }}
        />
      )}
    </DashboardPanel>
  );
}

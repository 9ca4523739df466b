"use client";

import Link from "next/link";
import { Bar, CartesianGrid, ComposedChart, Legend, Line, Tooltip, XAxis, YAxis } from "recharts";
import { STATUS_COLORS } from "@/components/webhooks/status-colors";
import { DateTime } from "@/components/ui/date-time";
import type { HealthFigures, SiteHealth } from "@/lib/trusted-sites/site-health";

/** A site's delivery health: the last hour and day in figures, the day by hour, the last failure. */
export function SiteHealthPanel({ health }: { health: SiteHealth }) {
  return (
    <section aria-label="Delivery health" className="mt-6 rounded-lg border border-slate-200 bg-white p-6">
      <div className="mb-4 flex flex-wrap items-baseline justify-between gap-2">
        <h2 className="text-base font-semibold">Delivery health</h2>
        <p className="text-xs text-slate-500">Attempts by the time they were queued; a failure is an attempt resent or failed</p>
      </div>
      <div className="grid gap-6 lg:grid-cols-[minmax(0,18rem)_minmax(0,1fr)]">
        <div className="flex flex-col gap-4">
          <Figures title="Last hour" figures={health.lastHour} />
          <Figures title="Last 24 hours" figures={health.lastDay} />
          <div>
            <h3 className="mb-1 text-sm font-medium text-slate-700">Last failure</h3>
            {health.lastFailure ? (
              <p data-testid="last-failure" className="text-sm">
                <DateTime value={health.lastFailure.at} />
                {" · "}
                {health.lastFailure.responseCode ? `HTTP ${health.lastFailure.responseCode}` : (health.lastFailure.error ?? "failed")}
                {" · "}
                <Link href={`/webhooks/messages/${health.lastFailure.messageId}`} className="text-sky-700 hover:underline">
                  attempt {health.lastFailure.attemptNo}
                </Link>
              </p>
            ) : (
              <p data-testid="last-failure" className="text-sm text-slate-500">No failed attempt</p>
            )}
          </div>
        </div>
        <HourlyChart health={health} />
      </div>
    </section>
  );
}

function Figures({ title, figures }: { title: string; figures: HealthFigures }) {
  const slug = title.toLowerCase().replaceAll(" ", "-");
  return (
    <div>
      <h3 className="mb-1 text-sm font-medium text-slate-700">{title}</h3>
      <dl data-testid={`health-${slug}`} className="grid grid-cols-2 gap-x-4 gap-y-1 text-sm">
        <dt className="text-slate-500">Succeeded</dt>
        <dd className="tabular-nums">
          {figures.successRate === null ? "—" : `${formatPercent(figures.successRate)} of ${figures.attempts.toLocaleString("en")}`}
        </dd>
        <dt className="text-slate-500">Duration p50</dt>
        <dd className="tabular-nums">{formatMs(figures.p50Ms)}</dd>
        <dt className="text-slate-500">Duration p95</dt>
        <dd className="tabular-nums">{formatMs(figures.p95Ms)}</dd>
      </dl>
    </div>
  );
}

function HourlyChart({ health }: { health: SiteHealth }) {
  const data = health.hours.map((h) => ({ start: h.start, succeeded: h.succeeded, failed: h.failed, p95: h.p95Ms === null ? null : Math.round(h.p95Ms) }));
  return (
    <div aria-label="Attempts per hour, last 24 hours" role="img">
      <ComposedChart responsive data={data} style={{ width: "100%", height: 200 }} margin={{ top: 4, right: 0, bottom: 0, left: -16 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e2e8f0" />
        <XAxis dataKey="start" tickFormatter={(iso: string) => iso.slice(11, 16)} fontSize={11} minTickGap={24} stroke="#94a3b8" />
        <YAxis yAxisId="attempts" allowDecimals={false} fontSize={11} stroke="#94a3b8" />
        <YAxis yAxisId="ms" orientation="right" fontSize={11} stroke="#94a3b8" unit=" ms" width={64} />
        <Tooltip labelFormatter={(label) => `${String(label).slice(0, 16).replace("T", " ")} UTC, 1 hour`} cursor={{ fill: "#f1f5f9" }} />
        <Legend iconType="square" wrapperStyle={{ fontSize: 12 }} />
        <Bar yAxisId="attempts" dataKey="succeeded" name="Succeeded" stackId="a" fill={STATUS_COLORS.done} isAnimationActive={false} />
        <Bar yAxisId="attempts" dataKey="failed" name="Failed" stackId="a" fill={STATUS_COLORS.failed} isAnimationActive={false} />
        <Line yAxisId="ms" dataKey="p95" name="p95 duration" stroke="#6366f1" dot={false} connectNulls isAnimationActive={false} />
      </ComposedChart>
    </div>
  );
}

function formatPercent(rate: number): string {
  // 99.95 % must not read as 100 %: one decimal, rounded down.
  return `${(Math.floor(rate * 1000) / 10).toFixed(1)} %`;
}

function formatMs(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 10_000) return `${Math.round(ms).toLocaleString("en")} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

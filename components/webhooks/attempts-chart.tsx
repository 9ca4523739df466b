"use client";

import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from "recharts";
import { useTimeZone } from "@/components/ui/time-zone";
import type { AttemptsOverTime } from "@/lib/webhooks/attempts-per-minute";
import { ATTEMPT_STATUSES } from "@/lib/webhooks/logs-query";
import { formatDateTime, UTC, wallTime } from "@/lib/time-zone/zoned-time";
import { STATUS_COLORS, STATUS_LABELS } from "./status-colors";

/** Attempts per bucket by status, stacked, over the Logs range: an outage shows as a wall of red and amber. */
export function AttemptsChart({ data, range }: { data: AttemptsOverTime; range: { from?: string; to?: string } }) {
  const { zone } = useTimeZone();
  const tick = axisLabel(data, zone);
  const utcDays = data.bucketMs >= DAY_MS && zone !== UTC;
  const total = data.buckets.reduce((sum, b) => sum + ATTEMPT_STATUSES.reduce((s, status) => s + b[status], 0), 0);
  return (
    <section aria-label="Attempts over time" className="mb-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <div className="mb-2 flex flex-wrap items-baseline justify-between gap-2">
        <h2 className="text-sm font-semibold">Attempts per {data.bucketLabel}</h2>
        <p className="text-xs text-slate-500">
          {rangeLabel(range, zone)} · {total.toLocaleString("en")} attempts
          {utcDays && " · days counted in UTC"}
          {data.shortened && " · range shortened to the most recent buckets"}
        </p>
      </div>
      <BarChart responsive data={data.buckets} style={{ width: "100%", height: 180 }} margin={{ top: 4, right: 8, bottom: 0, left: -16 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e2e8f0" />
        <XAxis dataKey="start" tickFormatter={tick} fontSize={11} minTickGap={24} stroke="#94a3b8" />
        <YAxis allowDecimals={false} fontSize={11} stroke="#94a3b8" />
        <Tooltip
          labelFormatter={(label) => formatDateTime(String(label), zone, { seconds: false })}
          cursor={{ fill: "#f1f5f9" }}
        />
        <Legend iconType="square" wrapperStyle={{ fontSize: 12 }} />
        {ATTEMPT_STATUSES.map((status) => (
          <Bar
            key={status}
            dataKey={status}
            name={STATUS_LABELS[status]}
            stackId="attempts"
            fill={STATUS_COLORS[status]}
            isAnimationActive={false}
          />
        ))}
      </BarChart>
    </section>
  );
}

const DAY_MS = 24 * 3_600_000;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * How a bar's start is written on the axis, in the chosen zone: the time of day within one day; the
 * date as well when the range spans days, or "12:00" would repeat under every bar; the date alone
 * for daily bars. Bars are counted from UTC boundaries (whole hours are whole hours in almost every
 * zone), so a daily bar is named by its UTC date.
 */
function axisLabel(data: AttemptsOverTime, zone: string): (iso: string) => string {
  const spansDays = Date.parse(data.to) - Date.parse(data.from) > DAY_MS;
  return (iso) => {
    const date = new Date(iso);
    if (data.bucketMs >= DAY_MS) return `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}`;
    const wall = wallTime(date, zone);
    const time = `${String(wall.hour).padStart(2, "0")}:${String(wall.minute).padStart(2, "0")}`;
    return spansDays ? `${MONTHS[wall.month - 1]} ${wall.day} ${time}` : time;
  };
}

function rangeLabel(range: { from?: string; to?: string }, zone: string): string {
  const fmt = (iso: string) => formatDateTime(iso, zone, { seconds: false });
  if (range.from && range.to) return `${fmt(range.from)} – ${fmt(range.to)}`;
  if (range.from) return `Since ${fmt(range.from)}`;
  if (range.to) return `The hour before ${fmt(range.to)}`;
  return "Last hour";
}

"use client";

import { formatDateTime } from "@/lib/time-zone/zoned-time";
import { useTimeZone } from "./time-zone";

/**
 * A timestamp in the zone chosen in the navigation (UTC or the browser's), rendered the same on the
 * server and in the browser, with the exact UTC value on hover.
 */
export function DateTime({ value }: { value: Date | string | null }) {
  const { zone } = useTimeZone();
  if (!value) return <span className="text-slate-400">—</span>;
  const date = new Date(value);
  const iso = date.toISOString();
  return (
    <time dateTime={iso} title={iso} className="whitespace-nowrap tabular-nums">
      {formatDateTime(date, zone)}
    </time>
  );
}

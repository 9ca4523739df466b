"use client";

import { useSyncExternalStore } from "react";
import { useTimeZone } from "@/components/ui/time-zone";
import { formatTimeOfDay } from "@/lib/time-zone/zoned-time";

/** One ticking clock for every RelativeTime on the page. */
const clock = (() => {
  let now = Date.now();
  const listeners = new Set<() => void>();
  let timer: ReturnType<typeof setInterval> | undefined;
  return {
    subscribe(listener: () => void) {
      listeners.add(listener);
      if (!timer) {
        now = Date.now();
        timer = setInterval(() => {
          now = Date.now();
          listeners.forEach((l) => l());
        }, 1000);
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
    read: () => now,
  };
})();

/** The current time, ticking every second; null while the server renders and the page hydrates. */
export function useNow(): number | null {
  return useSyncExternalStore(clock.subscribe, clock.read, () => null);
}

/**
 * When something is due: "in 8 s", "due now", "overdue by 3 min", ticking every second. The server
 * (and hydration) render the time of day instead (in the chosen zone), so both sides render the same text.
 */
export function RelativeTime({ value }: { value: string | Date | null }) {
  const now = useNow();
  const { zone } = useTimeZone();
  if (!value) return <span className="text-slate-400">—</span>;
  const at = new Date(value);
  const iso = at.toISOString();
  return (
    <time dateTime={iso} title={iso} className="whitespace-nowrap tabular-nums">
      {now === null ? formatTimeOfDay(at, zone) : describe(at.getTime() - now)}
    </time>
  );
}

/**
 * How far a past or future time is from now: "in 42 min", "3 min ago", ticking; nothing while the
 * server renders (the absolute time beside it says when).
 */
export function TimeFromNow({ value }: { value: string | Date }) {
  const now = useNow();
  if (now === null) return null;
  const delta = new Date(value).getTime() - now;
  const seconds = Math.round(Math.abs(delta) / 1000);
  // The shared clock ticks once a second, so a time just past can read as a moment ahead.
  if (seconds < 2) return <span>just now</span>;
  const amount = describeAmount(seconds);
  return <span className="tabular-nums">{delta > 0 ? `in ${amount}` : `${amount} ago`}</span>;
}

function describeAmount(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}

function describe(deltaMs: number): string {
  const seconds = Math.round(Math.abs(deltaMs) / 1000);
  const amount = seconds < 60 ? `${seconds} s` : seconds < 3600 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds / 3600)} h`;
  if (deltaMs > 0 && seconds >= 1) return `in ${amount}`;
  // A worker picks up a due message within moments; only a long wait is worth calling overdue.
  return seconds < 60 ? "due now" : `overdue by ${amount}`;
}

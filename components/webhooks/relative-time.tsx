"use client";

import { useSyncExternalStore } from "react";

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

/**
 * When something is due: "in 8 s", "due now", "overdue by 3 min", ticking every second. The server
 * (and hydration) render the UTC time instead, so both sides render the same text.
 */
export function RelativeTime({ value }: { value: string | Date | null }) {
  const now = useSyncExternalStore(clock.subscribe, clock.read, () => null);
  if (!value) return <span className="text-slate-400">—</span>;
  const at = new Date(value);
  const iso = at.toISOString();
  return (
    <time dateTime={iso} title={iso} className="whitespace-nowrap tabular-nums">
      {now === null ? `${iso.slice(11, 19)} UTC` : describe(at.getTime() - now)}
    </time>
  );
}

function describe(deltaMs: number): string {
  const seconds = Math.round(Math.abs(deltaMs) / 1000);
  const amount = seconds < 60 ? `${seconds} s` : seconds < 3600 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds / 3600)} h`;
  if (deltaMs > 0 && seconds >= 1) return `in ${amount}`;
  // A worker picks up a due message within moments; only a long wait is worth calling overdue.
  return seconds < 60 ? "due now" : `overdue by ${amount}`;
}

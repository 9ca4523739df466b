"use client";

import { Clock } from "lucide-react";
import { createContext, use, useEffect, useId, useState, useSyncExternalStore } from "react";
import { BROWSER_ZONE_COOKIE, TIME_DISPLAY_COOKIE, type TimeDisplay, type TimeZoneChoice } from "@/lib/time-zone/time-display";
import { UTC } from "@/lib/time-zone/zoned-time";
import { cn } from "./cn";

interface TimeZoneContextValue extends TimeZoneChoice {
  setDisplay(display: TimeDisplay): void;
}

const TimeZoneContext = createContext<TimeZoneContextValue>({ display: "utc", zone: UTC, setDisplay: () => {} });

/** The zone every time on the page is shown in (DateTime, RelativeTime, the Logs filters and chart). */
export function useTimeZone(): TimeZoneContextValue {
  return use(TimeZoneContext);
}

const YEAR_SECONDS = 365 * 24 * 3600;

function setCookie(name: string, value: string) {
  document.cookie = `${name}=${encodeURIComponent(value)}; path=/; max-age=${YEAR_SECONDS}; samesite=lax`;
}

function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || UTC;
}

/**
 * Starts from what the server rendered with (the cookies), so hydration matches; then, if the
 * browser's own zone is not the one the cookie named (first visit, travel), it says so in the
 * cookie and re-renders the local times.
 */
export function TimeZoneProvider({ initial, children }: { initial: TimeZoneChoice; children: React.ReactNode }) {
  const [display, setDisplayState] = useState(initial.display);
  // The server's guess (the cookie) while hydrating, the browser's own zone from then on.
  const localZone = useSyncExternalStore(noSubscription, browserZone, () => (initial.display === "local" ? initial.zone : UTC));

  useEffect(() => {
    setCookie(BROWSER_ZONE_COOKIE, browserZone());
  }, []);

  const value: TimeZoneContextValue = {
    display,
    zone: display === "local" ? localZone : UTC,
    setDisplay(next) {
      setCookie(TIME_DISPLAY_COOKIE, next);
      setDisplayState(next);
    },
  };
  return <TimeZoneContext value={value}>{children}</TimeZoneContext>;
}

const noSubscription = () => () => {};

/** The one switch between UTC and local times, in the navigation. */
export function TimeZoneToggle() {
  const { display, zone, setDisplay } = useTimeZone();
  const labelId = useId();
  const options: { value: TimeDisplay; label: string }[] = [
    { value: "utc", label: "UTC" },
    { value: "local", label: "Local" },
  ];
  return (
    <div className="px-3 pb-3">
      <p id={labelId} className="flex items-center gap-1.5 pb-1 text-xs text-slate-400">
        <Clock className="size-3.5" aria-hidden /> Times shown in
      </p>
      <div role="radiogroup" aria-labelledby={labelId} className="inline-flex rounded-md bg-slate-800 p-0.5">
        {options.map((option) => (
          <button
            key={option.value}
            type="button"
            role="radio"
            aria-checked={display === option.value}
            onClick={() => setDisplay(option.value)}
            className={cn(
              "rounded px-2.5 py-1 text-xs font-medium",
              display === option.value ? "bg-slate-100 text-slate-900" : "text-slate-300 hover:text-white",
            )}
          >
            {option.label}
          </button>
        ))}
      </div>
      {display === "local" && zone !== UTC && (
        <p data-testid="time-zone-name" className="truncate pt-1 text-xs text-slate-400" title={zone}>
          {zone}
        </p>
      )}
    </div>
  );
}

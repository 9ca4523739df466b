/**
 * Times as the backoffice shows them: in UTC or in the browser's own zone (an IANA name the browser
 * reports), the same text on the server and in the browser so that hydration matches. Client-safe.
 * Only numeric parts come from Intl, so the text does not depend on the ICU version's wording.
 */

export const UTC = "UTC";

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/**
 * Formatters by zone as the `time-zone` cookie spells it. Intl ignores case, so one zone has
 * thousands of spellings and a client could make one formatter (~30 KB) per request: the cache keeps
 * the most recently used MAX_FORMATTERS and forgets the rest.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
const MAX_FORMATTERS = 64;

function formatter(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (format) {
    // Most recently used last: the first key is the one to forget.
    formatters.delete(zone);
  } else {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    if (formatters.size >= MAX_FORMATTERS) formatters.delete(formatters.keys().next().value!);
  }
  formatters.set(zone, format);
  return format;
}

/** Formatters held now (at most MAX_FORMATTERS), for the test of the bound. */
export function cachedFormatterCount(): number {
  return formatters.size;
}

/** Whether the runtime knows the zone (a cookie could name anything). */
export function isKnownZone(zone: string): boolean {
  if (zone.length > 64) return false;
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The date and time of day a clock in `zone` shows at `date`. */
export function wallTime(date: Date, zone: string): WallTime {
  if (zone === UTC) {
    return {
      year: date.getUTCFullYear(),
      month: date.getUTCMonth() + 1,
      day: date.getUTCDate(),
      hour: date.getUTCHours(),
      minute: date.getUTCMinutes(),
      second: date.getUTCSeconds(),
    };
  }
  const parts = Object.fromEntries(formatter(zone).formatToParts(date).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
}

/** Minutes `zone` is ahead of UTC at `date` (New York in winter: -300). */
export function offsetMinutes(date: Date, zone: string): number {
  if (zone === UTC) return 0;
  const wall = wallTime(date, zone);
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  return Math.round((asUtc - Math.floor(date.getTime() / 1000) * 1000) / 60_000);
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** "-05:00", "+05:30", "+00:00". */
export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** "2026-12-02 03:08:36 UTC", or in another zone "2026-12-01 22:08:36 -05:00". */
export function formatDateTime(value: Date | string, zone: string, options: { seconds?: boolean } = {}): string {
  const date = new Date(value);
  const w = wallTime(date, zone);
  const time = `${pad(w.hour)}:${pad(w.minute)}${options.seconds === false ? "" : `:${pad(w.second)}`}`;
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)} ${time} ${zoneSuffix(date, zone)}`;
}

/** "03:08:36 UTC" / "22:08:36 -05:00". */
export function formatTimeOfDay(value: Date | string, zone: string): string {
  const date = new Date(value);
  const w = wallTime(date, zone);
  return `${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)} ${zoneSuffix(date, zone)}`;
}

function zoneSuffix(date: Date, zone: string): string {
  return zone === UTC ? "UTC" : formatOffset(offsetMinutes(date, zone));
}

/** A `datetime-local` input's value ("2026-12-01T22:08") for the instant, on a clock in `zone`. */
export function toZonedInputValue(iso: string | undefined, zone: string): string {
  if (!iso) return "";
  const w = wallTime(new Date(iso), zone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}`;
}

const INPUT_VALUE = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?$/;

/**
 * The instant a `datetime-local` value means on a clock in `zone`, as ISO 8601 UTC; the value
 * itself when it is not one (the shared schema then names the field). A time a DST change skips
 * is read with the offset before the change.
 */
export function fromZonedInputValue(value: string, zone: string): string | undefined {
  if (!value) return undefined;
  const m = INPUT_VALUE.exec(value);
  if (!m) return value;
  const [year, month, day, hour, minute, second] = m.slice(1).map((part) => Number(part ?? 0)) as [number, number, number, number, number, number];
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  if (Number.isNaN(asUtc)) return value;
  // Two passes: the offset at the guess, then at the instant it gives (right across a DST change).
  let instant = asUtc - offsetMinutes(new Date(asUtc), zone) * 60_000;
  instant = asUtc - offsetMinutes(new Date(instant), zone) * 60_000;
  const date = new Date(instant);
  if (Number.isNaN(date.getTime())) return value;
  return date.toISOString().replace(".000Z", "Z");
}

import { isKnownZone, UTC } from "./zoned-time";

/**
 * Which zone the backoffice shows times in, chosen once (the toggle in the navigation) and kept in
 * cookies so that the server renders the same text the browser will: `time-display` is `utc` or
 * `local`, `time-zone` the IANA zone the browser last reported as its own. Client-safe.
 */
export type TimeDisplay = "utc" | "local";

export const TIME_DISPLAY_COOKIE = "time-display";
export const BROWSER_ZONE_COOKIE = "time-zone";

export interface TimeZoneChoice {
  display: TimeDisplay;
  /** The zone times are shown in: "UTC", or the browser's zone when display is local. */
  zone: string;
}

/** What the cookies say; UTC until the browser has told its zone (it does on its first page). */
export function timeZoneChoice(display: string | undefined, browserZone: string | undefined): TimeZoneChoice {
  if (display !== "local") return { display: "utc", zone: UTC };
  return { display: "local", zone: browserZone && isKnownZone(browserZone) ? browserZone : UTC };
}

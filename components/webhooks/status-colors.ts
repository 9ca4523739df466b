import type { AttemptStatusName } from "@/lib/webhooks/logs-query";

/** The chart's colours, the same hues as the status badges (components/ui/status-badge.tsx). */
export const STATUS_COLORS: Record<AttemptStatusName, string> = {
  queued: "#0ea5e9", // sky-500
  resent: "#f59e0b", // amber-500
  failed: "#ef4444", // red-500
  done: "#10b981", // emerald-500
};

export const STATUS_LABELS: Record<AttemptStatusName, string> = {
  queued: "Queued",
  resent: "Resent",
  failed: "Failed",
  done: "Done",
};

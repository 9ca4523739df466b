import { cn } from "./cn";

const tones: Record<string, string> = {
  draft: "bg-slate-100 text-slate-700 ring-slate-300",
  active: "bg-emerald-50 text-emerald-700 ring-emerald-200",
  inactive: "bg-amber-50 text-amber-800 ring-amber-200",
  queued: "bg-sky-50 text-sky-700 ring-sky-200",
  resent: "bg-amber-50 text-amber-800 ring-amber-200",
  paused: "bg-slate-100 text-slate-700 ring-slate-300",
  failed: "bg-red-50 text-red-700 ring-red-200",
  done: "bg-emerald-50 text-emerald-700 ring-emerald-200",
};

/** A coloured badge for a site, message or attempt status. */
export function StatusBadge({ status }: { status: string }) {
  return (
    <span
      className={cn(
        "inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium capitalize ring-1 ring-inset",
        tones[status] ?? tones.draft,
      )}
    >
      {status}
    </span>
  );
}

import { DatabaseZap } from "lucide-react";

/** What a page shows while PostgreSQL cannot be reached (the worker and the API recover by themselves). */
export function DatabaseUnavailable() {
  return (
    <div role="alert" data-testid="database-unavailable" className="rounded-lg border border-amber-200 bg-amber-50 p-6">
      <h1 className="flex items-center gap-2 text-lg font-semibold text-amber-900">
        <DatabaseZap className="size-5" aria-hidden /> Database unavailable
      </h1>
      <p className="mt-1 text-sm text-amber-800">
        The app cannot reach its PostgreSQL database right now, so this page cannot be shown. Nothing was lost:
        deliveries resume by themselves when the database is back. Reload the page in a few seconds; if it keeps
        failing, check that PostgreSQL is running and that DATABASE_URL points at it.
      </p>
    </div>
  );
}

import { ListChecks } from "lucide-react";
import type { Metadata } from "next";
import { AutoRefresh } from "@/components/webhooks/auto-refresh";
import { QueueTable } from "@/components/webhooks/queue-table";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { getDb } from "@/lib/db";
import { listInFlight } from "@/lib/webhooks/read-messages";
import { retryNowAvailable } from "@/lib/delivery/operator/retry-message-now";
import { backofficePage } from "@/components/backoffice/backoffice-page";

export const metadata: Metadata = { title: "Webhook queue" };

const SHOWN = 200;

export default backofficePage(async function QueuePage() {
  const { items, nextCursor } = await listInFlight(await getDb(), { limit: SHOWN });
  return (
    <>
      <AutoRefresh />
      <PageHeader
        title="Queue"
        description="Webhook messages still being delivered: queued, or waiting to be resent (Retry now sends one at once). Messages to inactive sites are paused. Updates by itself."
      />
      {items.length === 0 ? (
        <EmptyState icon={ListChecks} title="Nothing in flight">
          Messages appear here from the moment they are triggered until they are done or have failed all 5 attempts.
        </EmptyState>
      ) : (
        <>
          <QueueTable messages={items} canRetryNow={retryNowAvailable()} />
          {nextCursor && <p className="mt-3 text-sm text-slate-500">Showing the newest {SHOWN} messages in flight.</p>}
        </>
      )}
    </>
  );
});

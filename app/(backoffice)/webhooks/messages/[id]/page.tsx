import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { AutoRefresh } from "@/components/webhooks/auto-refresh";
import { CancelMessageButton } from "@/components/webhooks/cancel-message-button";
import { MessageAttempts } from "@/components/webhooks/message-attempts";
import { RecordedRequest } from "@/components/webhooks/recorded-request";
import { RelativeTime } from "@/components/webhooks/relative-time";
import { PausedNote } from "@/components/webhooks/queue-table";
import { ResendMessageButton } from "@/components/webhooks/resend-message-button";
import { RetryNowButton } from "@/components/webhooks/retry-now-button";
import { DateTime } from "@/components/ui/date-time";
import { PageHeader } from "@/components/ui/page-header";
import { StatusBadge } from "@/components/ui/status-badge";
import { getDb } from "@/lib/db";
import { IN_FLIGHT } from "@/lib/delivery/policy/delivery-rules";
import { encodedEnvelope } from "@/lib/delivery/envelope";
import { getMessage, type MessageDetail } from "@/lib/webhooks/read-messages";
import { retryNowAvailable } from "@/lib/delivery/operator/retry-message-now";
import type { BodyEncoding } from "@/lib/trusted-sites/request-shape";
import { NotFoundError } from "@/lib/errors";
import { backofficePage } from "@/components/backoffice/backoffice-page";

export const metadata: Metadata = { title: "Webhook message" };

export default backofficePage(async function MessagePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const db = await getDb();
  const message = await getMessage(db, id).catch((e) => {
    if (e instanceof NotFoundError) notFound();
    throw e;
  });
  const madeBy = message.madeBy;
  const inFlight = (IN_FLIGHT as readonly string[]).includes(message.status);
  const sent = message.attemptLog.findLast((a) => a.request);

  return (
    <>
      {inFlight && <AutoRefresh />}
      <nav className="mb-2 text-sm text-slate-500">
        <Link href="/webhooks/logs" className="hover:underline">Logs</Link> / Message
      </nav>
      <PageHeader
        title={`${message.action} → ${message.siteName}`}
        description={<span className="font-mono text-xs">{message.id}</span>}
        actions={
          message.paused ? (
            <CancelMessageButton messageId={message.id} siteName={message.siteName} />
          ) : message.status === "resent" ? (
            retryNowAvailable() && <RetryNowButton messageId={message.id} />
          ) : (
            !inFlight && <ResendMessageButton messageId={message.id} siteName={message.siteName} />
          )
        }
      />
      <div className="grid gap-6 lg:grid-cols-2">
        <section className="rounded-lg border border-slate-200 bg-white p-6">
          <h2 className="mb-4 text-base font-semibold">Message</h2>
          <dl className="grid grid-cols-[max-content_1fr] gap-x-6 gap-y-2 text-sm">
            <dt className="text-slate-500">Status</dt>
            <dd data-testid="message-status"><StatusBadge status={message.paused ? "paused" : message.status} /></dd>
            <dt className="text-slate-500">{message.siteWorkflowId ? "Sent by" : "Trusted site"}</dt>
            <dd>
              <Link
                href={message.siteWorkflowId ? `/workflows/${message.siteWorkflowId}` : `/trusted-sites/${message.siteId}`}
                className="text-indigo-600 hover:underline"
              >
                {message.siteName}
              </Link>
            </dd>
            <dt className="text-slate-500">Customer</dt>
            <dd><Link href={`/customers/${message.customerId}`} className="text-indigo-600 hover:underline">{message.customerName}</Link></dd>
            <dt className="text-slate-500">Action</dt>
            <dd>{message.action}</dd>
            {madeBy && (
              <>
                <dt className="text-slate-500">Made by</dt>
                <dd>
                  <Link href={`/workflows/${madeBy.workflowId}/runs/${madeBy.runId}`} className="text-indigo-600 hover:underline">
                    Made by workflow {madeBy.workflowName}, run {madeBy.runId.slice(0, 8)}
                  </Link>
                </dd>
              </>
            )}
            <dt className="text-slate-500">Created</dt>
            <dd><DateTime value={message.createdAt} /></dd>
            <dt className="text-slate-500">Finished</dt>
            <dd><DateTime value={message.finishedAt} /></dd>
            {/* Sent (started) attempts: a retry that waits is not counted until it goes out. */}
            <dt className="text-slate-500">Attempts sent</dt>
            <dd className="tabular-nums">{message.attempts} of {message.maxAttempts}</dd>
            {inFlight && (
              <>
                <dt className="text-slate-500">Next attempt due</dt>
                <dd>
                  {message.paused ? (
                    <PausedNote />
                  ) : (
                    <>
                      Attempt {message.attempts + 1} of {message.maxAttempts}, <RelativeTime value={message.nextAttemptAt} /> (
                      <DateTime value={message.nextAttemptAt} />)
                    </>
                  )}
                </dd>
              </>
            )}
            {message.resentFromMessageId && (
              <>
                <dt className="text-slate-500">Resent from</dt>
                <dd><MessageLink id={message.resentFromMessageId} /></dd>
              </>
            )}
            {message.resentAs.length > 0 && (
              <>
                <dt className="text-slate-500">Resent as</dt>
                <dd className="flex flex-col gap-1">
                  {message.resentAs.map((r) => (
                    <span key={r.id} className="flex items-center gap-2">
                      <MessageLink id={r.id} /> <StatusBadge status={r.status} />
                    </span>
                  ))}
                </dd>
              </>
            )}
          </dl>
        </section>
        <section className="rounded-lg border border-slate-200 bg-white p-6">
          <h2 className="mb-4 text-base font-semibold">Payload</h2>
          <pre data-testid="payload" className="max-h-80 overflow-auto rounded bg-slate-50 p-3 font-mono text-xs">
            {JSON.stringify(message.payload, null, 2)}
          </pre>
        </section>
      </div>
      <section className="mt-6 rounded-lg border border-slate-200 bg-white p-6">
        <h2 className="mb-1 text-base font-semibold">Request as sent</h2>
        {sent?.request ? (
          <RecordedRequest request={sent.request} attemptNo={sent.attemptNo} body={sentBody(message, sent.request)} />
        ) : (
          <p className="text-sm text-slate-600">Not sent yet: the request is recorded when the first attempt is made.</p>
        )}
      </section>
      <h2 className="mb-3 mt-8 text-base font-semibold">Attempts</h2>
      <MessageAttempts attempts={message.attemptLog} />
    </>
  );
});

function MessageLink({ id }: { id: string }) {
  return (
    <Link href={`/webhooks/messages/${id}`} className="font-mono text-xs text-indigo-600 hover:underline">
      {id}
    </Link>
  );
}

/** The body the attempt sent: the message's envelope in the encoding recorded with it (JSON for attempts recorded before encodings existed). */
function sentBody(message: MessageDetail, request: { bodyEncoding?: BodyEncoding }) {
  return encodedEnvelope(
    { action: message.action, customerId: message.customerId, payload: message.payload, createdAt: message.createdAt },
    request.bodyEncoding ?? "json",
  );
}

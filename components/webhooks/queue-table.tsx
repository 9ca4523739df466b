import Link from "next/link";
import { StatusBadge } from "@/components/ui/status-badge";
import { Table, Td, Th } from "@/components/ui/table";
import { RelativeTime } from "./relative-time";
import { RetryNowButton } from "./retry-now-button";

interface InFlightRow {
  id: string;
  customerId: string;
  customerName: string;
  siteId: string;
  siteName: string;
  /** The site is a legacy workflow node's connection, with no page of its own. */
  siteWorkflowId: string | null;
  /** Attempts sent (started) so far, of `maxAttempts` (the site's retry policy). */
  attempts: number;
  maxAttempts: number;
  status: string;
  nextAttemptAt: Date | null;
  /** The site is inactive: nothing is sent until it is activated. */
  paused: boolean;
  /** An attempt is being sent right now. */
  sending: boolean;
  /** Held behind an earlier message of the same customer at a site that delivers in order. */
  waitingForEarlier: boolean;
  lastError: string | null;
}

/**
 * Messages in flight: attempts sent so far, the last error, when the next attempt is due or that it waits
 * for its site (paused), and Retry now for a message waiting to be resent (when the engine can).
 */
export function QueueTable({ messages, canRetryNow }: { messages: InFlightRow[]; canRetryNow: boolean }) {
  return (
    <Table>
      <thead>
        <tr>
          <Th>ID</Th>
          <Th>Customer</Th>
          <Th>Trusted site</Th>
          <Th>Attempts sent</Th>
          <Th>Status</Th>
          <Th>Next attempt due</Th>
          <Th>Last error</Th>
        </tr>
      </thead>
      <tbody>
        {messages.map((m) => (
          <tr key={m.id} data-testid="queue-row">
            <Td>
              <Link href={`/webhooks/messages/${m.id}`} className="font-mono text-xs text-indigo-600 hover:underline">
                {m.id}
              </Link>
            </Td>
            <Td>
              <Link href={`/customers/${m.customerId}`} className="text-indigo-600 hover:underline">
                {m.customerName}
              </Link>
            </Td>
            <Td>
              <Link
                href={m.siteWorkflowId ? `/workflows/${m.siteWorkflowId}` : `/trusted-sites/${m.siteId}`}
                className="text-indigo-600 hover:underline"
              >
                {m.siteName}
              </Link>
            </Td>
            <Td className="tabular-nums">{m.attempts} of {m.maxAttempts}</Td>
            <Td><StatusBadge status={m.paused ? "paused" : m.status} /></Td>
            <Td>
              {m.paused ? (
                <PausedNote />
              ) : (
                <span className="flex flex-wrap items-center gap-2">
                  {m.sending ? (
                    <span className="text-slate-600">Sending…</span>
                  ) : m.waitingForEarlier ? (
                    <span className="text-slate-600">Waiting for an earlier message</span>
                  ) : (
                    <RelativeTime value={m.nextAttemptAt} />
                  )}
                  {canRetryNow && m.status === "resent" && !m.sending && <RetryNowButton messageId={m.id} />}
                </span>
              )}
            </Td>
            <Td className="max-w-xs break-words text-xs text-red-700" data-testid="last-error">
              {m.lastError ?? <span className="text-slate-400">—</span>}
            </Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

export function PausedNote() {
  return <span className="text-slate-600">Paused (site inactive)</span>;
}

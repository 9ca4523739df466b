import Link from "next/link";
import { StatusBadge } from "@/components/ui/status-badge";
import { Table, Td, Th } from "@/components/ui/table";
import { RelativeTime } from "./relative-time";

interface InFlightRow {
  id: string;
  customerId: string;
  customerName: string;
  siteName: string;
  /** Attempts sent (started) so far, of 5. */
  attempts: number;
  status: string;
  nextAttemptAt: Date | null;
  /** The site is inactive: nothing is sent until it is activated. */
  paused: boolean;
}

/** Messages in flight: attempts sent so far and when the next attempt is due, or that it waits for its site (paused). */
export function QueueTable({ messages }: { messages: InFlightRow[] }) {
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
            <Td>{m.siteName}</Td>
            <Td className="tabular-nums">{m.attempts} of 5</Td>
            <Td><StatusBadge status={m.paused ? "paused" : m.status} /></Td>
            <Td>{m.paused ? <PausedNote /> : <RelativeTime value={m.nextAttemptAt} />}</Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

export function PausedNote() {
  return <span className="text-slate-600">Paused (site inactive)</span>;
}

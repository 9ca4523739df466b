import { DateTime } from "@/components/ui/date-time";
import { StatusBadge } from "@/components/ui/status-badge";
import { Table, Td, Th } from "@/components/ui/table";
import { RelativeTime } from "./relative-time";

interface Attempt {
  id: number;
  attemptNo: number;
  status: string;
  scheduledAt: Date;
  startedAt: Date | null;
  responseCode: number | null;
  durationMs: number | null;
  error: string | null;
  responseExcerpt: string | null;
}

/** Every attempt of one message, oldest first; a queued one says when it is due. */
export function MessageAttempts({ attempts }: { attempts: Attempt[] }) {
  return (
    <Table data-testid="message-attempts">
      <thead>
        <tr>
          <Th>#</Th>
          <Th>Status</Th>
          <Th>Due / started</Th>
          <Th>Response code</Th>
          <Th>Duration</Th>
          <Th>Error</Th>
          <Th>Response</Th>
        </tr>
      </thead>
      <tbody>
        {attempts.map((a) => (
          <tr key={a.id} className="align-top">
            <Td className="tabular-nums">{a.attemptNo}</Td>
            <Td><StatusBadge status={a.status} /></Td>
            <Td>
              {a.startedAt ? (
                <DateTime value={a.startedAt} />
              ) : (
                <span className="flex flex-col">
                  <span>Due <RelativeTime value={a.scheduledAt} /></span>
                  <DateTime value={a.scheduledAt} />
                </span>
              )}
            </Td>
            <Td className="tabular-nums">{a.responseCode ?? "—"}</Td>
            <Td className="tabular-nums">{a.durationMs === null ? "—" : `${a.durationMs} ms`}</Td>
            <Td className="max-w-xs text-red-700">{a.error ?? "—"}</Td>
            <Td>
              {a.responseExcerpt ? (
                <pre className="max-h-32 max-w-md overflow-auto whitespace-pre-wrap break-all rounded bg-slate-50 p-2 font-mono text-xs">
                  {a.responseExcerpt}
                </pre>
              ) : (
                "—"
              )}
            </Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

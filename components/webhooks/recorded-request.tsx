import { Table, Td, Th } from "@/components/ui/table";

/** The method, URL, headers and body an attempt sent, as recorded: credential headers are stored redacted. */
export function RecordedRequest({
  request,
  attemptNo,
  body,
}: {
  request: { method: string; url: string; headers: Record<string, string>; resentAfterTokenRefresh?: boolean };
  attemptNo: number;
  body: string;
}) {
  return (
    <>
      <p className="mb-3 text-sm text-slate-600">
        Attempt {attemptNo}. Credentials (Authorization, signatures, tokens) are never recorded: they show as [redacted].
      </p>
      {request.resentAfterTokenRefresh && (
        <p data-testid="resent-after-refresh" className="mb-3 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-800">
          Re-sent after a token refresh: the receiver refused the cached access token (401), so this attempt got a new one and sent
          the request again at once.
        </p>
      )}
      <p className="mb-3 break-all font-mono text-xs">
        <span className="font-semibold">{request.method}</span> {request.url}
      </p>
      <Table data-testid="request-headers">
        <thead>
          <tr>
            <Th>Header</Th>
            <Th>Value</Th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(request.headers).map(([name, value]) => (
            <tr key={name}>
              <Td className="font-mono text-xs">{name}</Td>
              <Td className="break-all font-mono text-xs">{value}</Td>
            </tr>
          ))}
        </tbody>
      </Table>
      <h3 className="mb-1 mt-4 text-sm font-semibold">Body</h3>
      <pre data-testid="request-body" className="max-h-64 overflow-auto whitespace-pre-wrap break-all rounded-md bg-slate-50 p-3 font-mono text-xs">
        {body}
      </pre>
    </>
  );
}

"use client";

import { FlaskConical } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useId, useState } from "react";
import { Button } from "@/components/ui/button";

/** Send test event: runs the latest version (draft or active) now for a chosen customer and sample data. */
export function TestEventForm({ workflowId, customers }: { workflowId: string; customers: { id: string; name: string; email: string | null }[] }) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [customerId, setCustomerId] = useState(customers[0]?.id ?? "");
  const [data, setData] = useState('{\n  "points": 120\n}');
  const [sending, setSending] = useState(false);
  const [result, setResult] = useState<{ runId?: string; message: string; ok: boolean } | null>(null);
  const customerField = useId();
  const dataField = useId();

  async function send() {
    setResult(null);
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch (error) {
      setResult({ ok: false, message: `The sample data is not valid JSON: ${(error as Error).message}` });
      return;
    }
    setSending(true);
    try {
      const response = await fetch(`/api/workflows/${workflowId}/test-runs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ customerId, data: parsed }),
      });
      const body = await response.json().catch(() => ({}));
      if (response.status === 202) {
        setResult({ ok: true, runId: body.run.id, message: "Test run started." });
        router.refresh();
      } else if (response.ok) setResult({ ok: false, message: body.reason });
      else {
        const details = Array.isArray(body.issues) ? body.issues.map((i: { message: string }) => i.message).join(" ") : "";
        setResult({ ok: false, message: `${body.error ?? `Sending failed (${response.status}).`} ${details}`.trim() });
      }
    } catch {
      setResult({ ok: false, message: "The server could not be reached. Try again." });
    } finally {
      setSending(false);
    }
  }

  if (!open) {
    return (
      <Button type="button" variant="secondary" onClick={() => setOpen(true)}>
        <FlaskConical className="size-4" aria-hidden /> Send test event
      </Button>
    );
  }
  return (
    <section className="flex w-full flex-col gap-3 rounded-lg border border-slate-200 bg-white p-4" aria-label="Send test event">
      <h2 className="text-base font-semibold">Send test event</h2>
      <p className="text-xs text-slate-500">Runs the latest saved version now, even as a draft: its messages are really sent.</p>
      {customers.length === 0 ? (
        <p className="text-sm text-slate-600">No customers yet: post an event to /api/events first, which creates its customer.</p>
      ) : (
        <>
          <div className="flex flex-col gap-1">
            <label htmlFor={customerField} className="text-sm font-medium text-slate-700">
              Customer
            </label>
            <select id={customerField} value={customerId} onChange={(e) => setCustomerId(e.target.value)} className="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm">
              {customers.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                  {c.email ? ` (${c.email})` : ""}
                </option>
              ))}
            </select>
          </div>
          <div className="flex flex-col gap-1">
            <label htmlFor={dataField} className="text-sm font-medium text-slate-700">
              Event data (JSON)
            </label>
            <textarea id={dataField} rows={4} spellCheck={false} value={data} onChange={(e) => setData(e.target.value)} className="rounded-md border border-slate-300 px-3 py-2 font-mono text-xs" />
          </div>
          <div className="flex gap-2">
            <Button type="button" onClick={send} disabled={sending || !customerId}>
              {sending ? "Sending…" : "Send"}
            </Button>
            <Button type="button" variant="secondary" onClick={() => setOpen(false)}>
              Close
            </Button>
          </div>
        </>
      )}
      {result && (
        <p role={result.ok ? "status" : "alert"} className={result.ok ? "text-sm text-emerald-800" : "text-sm text-red-700"}>
          {result.message}{" "}
          {result.runId && (
            <Link href={`/workflows/${workflowId}/runs/${result.runId}`} className="font-medium text-indigo-700 hover:underline">
              Open the run
            </Link>
          )}
        </p>
      )}
    </section>
  );
}

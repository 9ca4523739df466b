"use client";

import { Loader2, RotateCw } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { requestJson } from "./request-json";

/** Makes a message waiting to be resent due now; busy until the server answered and the page re-read. */
export function RetryNowButton({ messageId }: { messageId: string }) {
  const router = useRouter();
  const [sending, setSending] = useState(false);
  const [refreshing, startRefresh] = useTransition();
  const [problem, setProblem] = useState<string | null>(null);
  const busy = sending || refreshing;
  async function retry() {
    setProblem(null);
    setSending(true);
    const result = await requestJson(`/api/webhooks/messages/${messageId}/retry-now`, { method: "POST" });
    setSending(false);
    if (!result.ok) return setProblem(result.error);
    startRefresh(() => router.refresh());
  }
  return (
    <span className="flex flex-col items-start gap-1">
      <button
        type="button"
        onClick={retry}
        disabled={busy}
        aria-busy={busy || undefined}
        className="inline-flex items-center gap-1 whitespace-nowrap rounded-md border border-slate-300 bg-white px-2 py-1 text-xs font-medium text-slate-800 hover:bg-slate-50 disabled:text-slate-400"
      >
        {busy ? <Loader2 className="size-3.5 animate-spin" aria-hidden /> : <RotateCw className="size-3.5" aria-hidden />}
        Retry now
      </button>
      {problem && (
        <span role="alert" className="max-w-48 text-xs text-red-700">
          {problem}
        </span>
      )}
    </span>
  );
}

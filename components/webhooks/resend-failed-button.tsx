"use client";

import { RotateCw } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { filterSearchParams, type ResendFailedFilter } from "@/lib/webhooks/logs-query";
import { requestJson } from "./request-json";

interface Counted {
  count: number;
  capped: boolean;
  cap: number;
}

const plural = (n: number) => `${n.toLocaleString("en")} failed message${n === 1 ? "" : "s"}`;

/** "Resend failed messages" of one site matching the Logs filter: counts first, says how many, then resends. */
export function ResendFailedButton({ filter, siteName }: { filter: ResendFailedFilter; siteName: string }) {
  const router = useRouter();
  const [counted, setCounted] = useState<Counted | null>(null);
  const [outcome, setOutcome] = useState<{ tone: "ok" | "problem"; text: string } | null>(null);

  async function count(open: boolean) {
    if (!open) return;
    setCounted(null);
    setOutcome(null);
    const result = await requestJson<Counted>(`/api/webhooks/resend-failed?${filterSearchParams(filter)}`);
    if (result.ok) setCounted(result.body);
    else setOutcome({ tone: "problem", text: result.error });
  }

  async function resend() {
    const result = await requestJson<Counted>("/api/webhooks/resend-failed", { method: "POST", body: JSON.stringify(filter) });
    if (!result.ok) return setOutcome({ tone: "problem", text: result.error });
    setOutcome({
      tone: "ok",
      text: `Resent ${plural(result.body.count)}${result.body.capped ? ` (the first ${result.body.cap.toLocaleString("en")}; resend again for the rest)` : ""}.`,
    });
    router.refresh();
  }

  const description =
    counted === null
      ? "Counting the failed messages that match…"
      : counted.count === 0
        ? `No failed message of “${siteName}” matches these filters (messages resent before are not counted).`
        : `${plural(counted.count)} of “${siteName}” matching these filters will be queued again as new messages` +
          (counted.capped ? `: more match, and at most ${counted.cap.toLocaleString("en")} are resent at once, oldest first.` : ".") +
          " Messages resent before are left out.";

  return (
    <div className="flex flex-col items-end gap-2">
      <ConfirmDialog
        trigger={
          <Button variant="secondary">
            <RotateCw className="size-4" aria-hidden /> Resend failed messages
          </Button>
        }
        title={counted && counted.count > 0 ? `Resend ${plural(counted.count)}?` : "Resend failed messages?"}
        description={description}
        confirmLabel="Resend"
        tone="primary"
        onOpenChange={count}
        confirmDisabled={!counted || counted.count === 0}
        onConfirm={resend}
      />
      {outcome && (
        <p
          role={outcome.tone === "problem" ? "alert" : "status"}
          className={
            outcome.tone === "problem"
              ? "max-w-md rounded-md bg-red-50 px-3 py-2 text-sm text-red-700"
              : "max-w-md rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800"
          }
        >
          {outcome.text}
        </p>
      )}
    </div>
  );
}

"use client";

import { XCircle } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { requestJson } from "./request-json";

/** Cancels a paused message (its site is inactive): it ends failed, with who cancelled it recorded. */
export function CancelMessageButton({ messageId, siteName }: { messageId: string; siteName: string }) {
  const router = useRouter();
  const [problem, setProblem] = useState<string | null>(null);
  async function cancel() {
    setProblem(null);
    const result = await requestJson(`/api/webhooks/messages/${messageId}/cancel`, { method: "POST" });
    if (!result.ok) return setProblem(result.error);
    toast.success(`Cancelled: it will not be sent to “${siteName}”`);
    router.refresh();
  }
  return (
    <div className="flex flex-col items-end gap-2">
      <ConfirmDialog
        trigger={
          <Button variant="secondary">
            <XCircle className="size-4" aria-hidden /> Cancel message
          </Button>
        }
        title="Cancel this message?"
        description={`It will not be sent to “${siteName}” when the site is activated again: the message ends failed, with your name on it. You can resend it later.`}
        confirmLabel="Cancel message"
        cancelLabel="Keep it"
        onConfirm={cancel}
      />
      {problem && (
        <p role="alert" className="max-w-md rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {problem}
        </p>
      )}
    </div>
  );
}

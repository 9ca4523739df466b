"use client";

import { RotateCw } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { requestJson } from "./request-json";

/** Resends a finished message as a new one, then opens the new message. */
export function ResendMessageButton({ messageId, siteName }: { messageId: string; siteName: string }) {
  const router = useRouter();
  const [problem, setProblem] = useState<string | null>(null);
  async function resend() {
    setProblem(null);
    const result = await requestJson<{ id: string }>(`/api/webhooks/messages/${messageId}/resend`, { method: "POST" });
    if (!result.ok) return setProblem(result.error);
    toast.success(`Queued again for “${siteName}” as a new message`);
    router.push(`/webhooks/messages/${result.body.id}`);
  }
  return (
    <div className="flex flex-col items-end gap-2">
      <ConfirmDialog
        trigger={
          <Button>
            <RotateCw className="size-4" aria-hidden /> Resend
          </Button>
        }
        title="Resend this message?"
        description={`A new message with the same action, customer and payload is queued for “${siteName}”. It has its own id (Webhook-Id), so the receiver treats it as a new delivery.`}
        confirmLabel="Resend"
        tone="primary"
        onConfirm={resend}
      />
      {problem && (
        <p role="alert" className="max-w-md rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {problem}
        </p>
      )}
    </div>
  );
}

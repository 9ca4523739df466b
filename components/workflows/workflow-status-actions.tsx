"use client";

import { Power, PowerOff } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";

/** Activate / Deactivate, confirmed first; the dialog waits for the server's answer. */
export function WorkflowStatusActions({ workflow }: { workflow: { id: string; name: string; status: string } }) {
  const router = useRouter();
  const [problem, setProblem] = useState<string | null>(null);
  const active = workflow.status === "active";

  async function setStatus(status: "active" | "inactive") {
    setProblem(null);
    try {
      const response = await fetch(`/api/workflows/${workflow.id}/status`, {
        method: "POST",
        // A change the user confirmed is still made when they leave the page meanwhile.
        keepalive: true,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ status }),
      });
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        const details = Array.isArray(body.issues) ? body.issues.map((i: { message: string }) => i.message).join(" ") : "";
        setProblem(`${body.error ?? `The change failed (${response.status}).`} ${details}`.trim());
        return;
      }
      toast.success(status === "active" ? `“${workflow.name}” is active: matching events run it` : `“${workflow.name}” is inactive: events no longer run it`);
      router.refresh();
    } catch {
      setProblem("The server could not be reached. Try again.");
    }
  }

  return (
    <div className="flex flex-col items-end gap-2">
      {active ? (
        <ConfirmDialog
          trigger={
            <Button variant="secondary">
              <PowerOff className="size-4" aria-hidden /> Deactivate
            </Button>
          }
          title={`Deactivate “${workflow.name}”?`}
          description="New customer events no longer start it. Runs already under way finish."
          confirmLabel="Deactivate"
          onConfirm={() => setStatus("inactive")}
        />
      ) : (
        <ConfirmDialog
          trigger={
            <Button>
              <Power className="size-4" aria-hidden /> Activate
            </Button>
          }
          title={`Activate “${workflow.name}”?`}
          description="Its latest saved version runs for every matching customer event from now on, and its Webhook message nodes send to their sites."
          confirmLabel="Activate"
          tone="primary"
          onConfirm={() => setStatus("active")}
        />
      )}
      {problem && (
        <p role="alert" className="max-w-md rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {problem}
        </p>
      )}
    </div>
  );
}

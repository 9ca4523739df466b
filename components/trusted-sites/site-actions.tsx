"use client";

import { ListChecks, Pencil, Power, PowerOff, Trash2 } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";

/** Edit, Set active / Set inactive and Delete, each change confirmed first; the dialog waits for the server's answer. */
export function SiteActions({ site }: { site: { id: string; name: string; status: string } }) {
  const router = useRouter();
  const [problem, setProblem] = useState<string | null>(null);

  async function send(path: string, init: RequestInit, after: () => void) {
    setProblem(null);
    let response: Response;
    try {
      // keepalive: a change the user confirmed is still made when they leave the page meanwhile.
      response = await fetch(path, { ...init, keepalive: true, headers: { "content-type": "application/json" } });
    } catch {
      setProblem("The server could not be reached. Try again.");
      return;
    }
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      setProblem(body.error ?? `The change failed (${response.status}). Try again.`);
      return;
    }
    after();
  }
  const setStatus = (status: "active" | "inactive") =>
    send(`/api/trusted-sites/${site.id}/status`, { method: "POST", body: JSON.stringify({ status }) }, () => {
      toast.success(status === "active" ? `“${site.name}” is active` : `“${site.name}” is inactive: its messages are paused`);
      router.refresh();
    });

  return (
    <div className="flex flex-col items-end gap-2">
      <div className="flex flex-wrap gap-2">
        <Button asChild variant="secondary">
          <Link href={`/webhooks/logs?siteId=${site.id}`}>
            <ListChecks className="size-4" aria-hidden /> Logs
          </Link>
        </Button>
        <Button asChild variant="secondary">
          <Link href={`/trusted-sites/${site.id}/edit`}>
            <Pencil className="size-4" aria-hidden /> Edit
          </Link>
        </Button>
        {site.status === "active" ? (
          <ConfirmDialog
            trigger={
              <Button variant="secondary">
                <PowerOff className="size-4" aria-hidden /> Set inactive
              </Button>
            }
            title={`Set “${site.name}” inactive?`}
            description="Workflows stop offering this site, and new webhook messages to it are refused. Messages already in the queue are paused, not lost: they are sent once the site is active again."
            confirmLabel="Set inactive"
            onConfirm={() => setStatus("inactive")}
          />
        ) : (
          <ConfirmDialog
            trigger={
              <Button>
                <Power className="size-4" aria-hidden /> Set active
              </Button>
            }
            title={`Set “${site.name}” active?`}
            description="Webhook message nodes in workflows will offer this site, and it will receive webhooks with the settings shown here."
            confirmLabel="Set active"
            tone="primary"
            onConfirm={() => setStatus("active")}
          />
        )}
        <ConfirmDialog
          trigger={
            <Button variant="secondary" aria-label={`Delete ${site.name}`}>
              <Trash2 className="size-4" aria-hidden /> Delete
            </Button>
          }
          title={`Delete “${site.name}”?`}
          description="The site and the logs of its finished messages are deleted. This cannot be undone."
          confirmLabel="Delete site"
          onConfirm={() =>
            send(`/api/trusted-sites/${site.id}`, { method: "DELETE" }, () => {
              toast.success(`“${site.name}” deleted`);
              router.push("/trusted-sites");
              router.refresh();
            })
          }
        />
      </div>
      {problem && (
        <p role="alert" className="max-w-md rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {problem}
        </p>
      )}
    </div>
  );
}

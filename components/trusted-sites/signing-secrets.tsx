"use client";

import * as AlertDialog from "@radix-ui/react-alert-dialog";
import { zodResolver } from "@hookform/resolvers/zod";
import { Loader2 } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { useForm } from "react-hook-form";
import { z } from "zod";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { CopyButton } from "@/components/ui/copy-button";
import { DateTime } from "@/components/ui/date-time";
import { Table, Td, Th } from "@/components/ui/table";
import { TextField } from "@/components/ui/text-field";
import { DEFAULT_OVERLAP_HOURS, rotateSigningSecretSchema, type SigningSecretView } from "@/lib/signing-secrets/schema";

type RotateValues = z.output<typeof rotateSigningSecretSchema>;

async function callApi(path: string, init: RequestInit) {
  const response = await fetch(path, { ...init, headers: { "content-type": "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(body.error ?? "Request failed"), { issues: body.issues });
  return body;
}

/** The site page's Standard Webhooks signing: turn on, rotate with an overlap, turn off; a new secret is shown once. */
export function SigningSecrets({ siteId, secrets }: { siteId: string; secrets: SigningSecretView[] }) {
  const router = useRouter();
  const [created, setCreated] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [enabling, startEnabling] = useTransition();
  const base = `/api/trusted-sites/${siteId}/signing-secrets`;

  function enable() {
    setProblem(null);
    startEnabling(async () => {
      try {
        const answer = await callApi(base, { method: "POST" });
        setCreated(answer.secret);
        router.refresh();
      } catch (e) {
        setProblem((e as Error).message);
      }
    });
  }

  async function disable() {
    setProblem(null);
    try {
      await callApi(base, { method: "DELETE" });
      router.refresh();
    } catch (e) {
      setProblem((e as Error).message);
    }
  }

  return (
    <section className="rounded-lg border border-slate-200 bg-white p-6" aria-labelledby="signing-heading">
      <h2 id="signing-heading" className="mb-1 text-base font-semibold">Signed payloads</h2>
      <p className="mb-4 text-sm text-slate-600">
        Each request carries a <code className="font-mono text-xs">webhook-signature</code> header (Standard Webhooks, HMAC-SHA256) that
        the receiver checks with the secret, whatever the authentication method.
      </p>
      {secrets.length === 0 ? (
        <div className="flex items-center justify-between gap-4">
          <p className="text-sm text-slate-500">Requests are not signed.</p>
          <Button onClick={enable} disabled={enabling} aria-busy={enabling || undefined}>
            {enabling && <Loader2 className="size-4 animate-spin" aria-hidden />}
            Turn on signing
          </Button>
        </div>
      ) : (
        <>
          <Table data-testid="signing-secrets">
            <thead>
              <tr>
                <Th>Secret</Th>
                <Th>Created</Th>
                <Th>Active until</Th>
              </tr>
            </thead>
            <tbody>
              {secrets.map((s) => (
                <tr key={s.id}>
                  <Td className="font-mono text-xs">{s.prefix}…</Td>
                  <Td><DateTime value={s.createdAt} /></Td>
                  <Td>{s.activeUntil ? <DateTime value={s.activeUntil} /> : "Until rotated"}</Td>
                </tr>
              ))}
            </tbody>
          </Table>
          <div className="mt-4 flex justify-end gap-2">
            <ConfirmDialog
              trigger={<Button variant="secondary">Turn off signing</Button>}
              title="Turn off signing?"
              description="Requests go out without a signature from now on, and every secret is forgotten. Receivers that check signatures will refuse them."
              confirmLabel="Turn off signing"
              onConfirm={disable}
            />
            <RotateDialog
              base={base}
              onRotated={(secret) => {
                setCreated(secret);
                router.refresh();
              }}
            />
          </div>
        </>
      )}
      {problem && (
        <p role="alert" className="mt-3 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {problem}
        </p>
      )}
      <NewSecretDialog secret={created} onDone={() => setCreated(null)} />
    </section>
  );
}

function RotateDialog({ base, onRotated }: { base: string; onRotated: (secret: string) => void }) {
  const [open, setOpen] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const form = useForm<z.input<typeof rotateSigningSecretSchema>, unknown, RotateValues>({
    resolver: zodResolver(rotateSigningSecretSchema),
    defaultValues: { overlapHours: DEFAULT_OVERLAP_HOURS },
  });

  async function rotate(values: RotateValues) {
    setProblem(null);
    try {
      const answer = await callApi(`${base}/rotate`, { method: "POST", body: JSON.stringify(values) });
      setOpen(false);
      form.reset();
      onRotated(answer.secret);
    } catch (e) {
      setProblem((e as Error).message);
    }
  }

  const busy = form.formState.isSubmitting;
  return (
    <AlertDialog.Root open={open} onOpenChange={(next) => !busy && setOpen(next)}>
      <AlertDialog.Trigger asChild>
        <Button>Rotate secret</Button>
      </AlertDialog.Trigger>
      <AlertDialog.Portal>
        <AlertDialog.Overlay className="fixed inset-0 bg-slate-900/40" />
        <AlertDialog.Content className="fixed left-1/2 top-1/2 w-full max-w-md -translate-x-1/2 -translate-y-1/2 rounded-lg bg-white p-6 shadow-xl">
          <AlertDialog.Title className="text-lg font-semibold">Rotate the signing secret</AlertDialog.Title>
          <AlertDialog.Description className="mt-2 text-sm text-slate-600">
            A new secret signs from now on. The current one keeps signing beside it for the overlap, so receivers can switch
            without refusing anything; then it stops.
          </AlertDialog.Description>
          <form onSubmit={form.handleSubmit(rotate)} noValidate className="mt-4 flex flex-col gap-4">
            <TextField
              label="Overlap (hours)"
              type="number"
              step="any"
              min={0}
              help="How long the current secret keeps signing (0 stops it at once)."
              error={form.formState.errors.overlapHours?.message}
              {...form.register("overlapHours", { valueAsNumber: true })}
            />
            {problem && (
              <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
                {problem}
              </p>
            )}
            <div className="flex justify-end gap-2">
              <AlertDialog.Cancel asChild>
                <Button variant="secondary" disabled={busy}>Cancel</Button>
              </AlertDialog.Cancel>
              <Button type="submit" disabled={busy} aria-busy={busy || undefined}>
                {busy && <Loader2 className="size-4 animate-spin" aria-hidden />}
                Rotate
              </Button>
            </div>
          </form>
        </AlertDialog.Content>
      </AlertDialog.Portal>
    </AlertDialog.Root>
  );
}

function NewSecretDialog({ secret, onDone }: { secret: string | null; onDone: () => void }) {
  return (
    <AlertDialog.Root open={secret !== null}>
      <AlertDialog.Portal>
        <AlertDialog.Overlay className="fixed inset-0 bg-slate-900/40" />
        <AlertDialog.Content className="fixed left-1/2 top-1/2 w-full max-w-lg -translate-x-1/2 -translate-y-1/2 rounded-lg bg-white p-6 shadow-xl">
          <AlertDialog.Title className="text-lg font-semibold">New signing secret</AlertDialog.Title>
          <AlertDialog.Description className="mt-2 text-sm text-slate-600">
            Copy it now and give it to the receiver: it will not be shown again.
          </AlertDialog.Description>
          <div className="mt-4 flex items-center gap-2">
            <code data-testid="new-signing-secret" className="flex-1 overflow-x-auto rounded bg-slate-50 px-3 py-2 font-mono text-xs">
              {secret}
            </code>
            {secret && <CopyButton value={secret} />}
          </div>
          <div className="mt-6 flex justify-end">
            <AlertDialog.Action asChild>
              <Button onClick={onDone}>Done</Button>
            </AlertDialog.Action>
          </div>
        </AlertDialog.Content>
      </AlertDialog.Portal>
    </AlertDialog.Root>
  );
}

"use client";

import * as AlertDialog from "@radix-ui/react-alert-dialog";
import { Loader2 } from "lucide-react";
import { useState, useTransition } from "react";
import { Button } from "./button";

/**
 * Asks before an action that cannot be undone; `trigger` opens it. Confirming keeps the dialog open,
 * its buttons disabled and a spinner on the confirm button, until `onConfirm` has settled and what
 * it started in a transition (a `router.refresh()` or `router.push()`) has rendered: the dialog
 * closes as the page shows the change, not a second before it.
 */
export function ConfirmDialog({
  trigger,
  title,
  description,
  confirmLabel,
  cancelLabel = "Cancel",
  onConfirm,
  tone = "danger",
  onOpenChange,
  confirmDisabled,
}: {
  trigger: React.ReactNode;
  title: string;
  description: React.ReactNode;
  confirmLabel: string;
  /** The button that closes the dialog doing nothing. */
  cancelLabel?: string;
  /** Shows its own failures (as the callers' `problem` notes do): a rejection reaches the error boundary. */
  onConfirm: () => void | Promise<unknown>;
  tone?: "danger" | "primary";
  /** Called when the dialog opens or closes (e.g. to load what the description states). */
  onOpenChange?: (open: boolean) => void;
  confirmDisabled?: boolean;
}) {
  const [open, setOpen] = useState(false);
  const [busy, startTransition] = useTransition();
  function changeOpen(next: boolean) {
    if (busy) return;
    setOpen(next);
    onOpenChange?.(next);
  }
  function confirm(event: React.MouseEvent) {
    event.preventDefault();
    // An async transition: `busy` stays true until the action and the transitions it starts (the
    // router's refresh) have committed, and closing is committed together with them.
    startTransition(async () => {
      try {
        await onConfirm();
      } finally {
        startTransition(() => {
          setOpen(false);
          onOpenChange?.(false);
        });
      }
    });
  }
  return (
    <AlertDialog.Root open={open} onOpenChange={changeOpen}>
      <AlertDialog.Trigger asChild>{trigger}</AlertDialog.Trigger>
      <AlertDialog.Portal>
        <AlertDialog.Overlay className="fixed inset-0 bg-slate-900/40" />
        <AlertDialog.Content className="fixed left-1/2 top-1/2 w-full max-w-md -translate-x-1/2 -translate-y-1/2 rounded-lg bg-white p-6 shadow-xl">
          <AlertDialog.Title className="text-lg font-semibold">{title}</AlertDialog.Title>
          <AlertDialog.Description className="mt-2 text-sm text-slate-600">{description}</AlertDialog.Description>
          <div className="mt-6 flex justify-end gap-2">
            <AlertDialog.Cancel asChild>
              <Button variant="secondary" disabled={busy}>
                {cancelLabel}
              </Button>
            </AlertDialog.Cancel>
            <AlertDialog.Action asChild>
              <Button variant={tone} onClick={confirm} disabled={confirmDisabled || busy} aria-busy={busy || undefined}>
                {busy && <Loader2 className="size-4 animate-spin" aria-hidden />}
                {confirmLabel}
              </Button>
            </AlertDialog.Action>
          </div>
        </AlertDialog.Content>
      </AlertDialog.Portal>
    </AlertDialog.Root>
  );
}

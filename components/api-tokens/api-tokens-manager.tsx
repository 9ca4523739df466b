"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { Check, Copy, KeyRound } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useForm } from "react-hook-form";
import type { z } from "zod";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { DateTime } from "@/components/ui/date-time";
import { EmptyState } from "@/components/ui/empty-state";
import { Table, Td, Th } from "@/components/ui/table";
import { TextField } from "@/components/ui/text-field";
import { newApiTokenSchema, type ListedApiToken } from "@/lib/api-tokens/schema";

type NewToken = z.infer<typeof newApiTokenSchema>;

async function callApi(path: string, init: RequestInit) {
  const response = await fetch(path, { ...init, headers: { "content-type": "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(body.error ?? "Request failed"), { issues: body.issues });
  return body;
}

export function ApiTokensManager({ tokens }: { tokens: ListedApiToken[] }) {
  const router = useRouter();
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const form = useForm<NewToken>({ resolver: zodResolver(newApiTokenSchema), defaultValues: { name: "" } });

  async function create(values: NewToken) {
    setProblem(null);
    try {
      const token = await callApi("/api/api-tokens", { method: "POST", body: JSON.stringify(values) });
      setCreated({ name: token.name, token: token.token });
      form.reset();
      router.refresh();
    } catch (e) {
      setProblem((e as Error).message);
    }
  }

  async function revoke(id: string) {
    setProblem(null);
    try {
      await callApi(`/api/api-tokens/${id}`, { method: "DELETE" });
      router.refresh();
    } catch (e) {
      setProblem((e as Error).message);
    }
  }

  return (
    <div className="flex flex-col gap-6">
      <form onSubmit={form.handleSubmit(create)} noValidate className="flex items-end gap-3 rounded-lg border border-slate-200 bg-white p-4">
        <TextField
          label="New token name"
          placeholder="e.g. Workflow engine (production)"
          help="Say who or what will use it, so you know what breaks if you revoke it."
          className="max-w-md flex-1"
          error={form.formState.errors.name?.message}
          {...form.register("name")}
        />
        <Button type="submit" disabled={form.formState.isSubmitting} className="mb-5">
          {form.formState.isSubmitting ? "Creating…" : "Create token"}
        </Button>
      </form>
      {problem && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {problem}
        </p>
      )}
      {created && <NewTokenNotice name={created.name} token={created.token} onDone={() => setCreated(null)} />}
      {tokens.length === 0 ? (
        <EmptyState icon={KeyRound} title="No API tokens yet">
          API tokens let workflows and scripts call this app&apos;s API with <code className="font-mono">Authorization: Bearer &lt;token&gt;</code>.
        </EmptyState>
      ) : (
        <Table>
          <thead>
            <tr>
              <Th>Name</Th>
              <Th>Token</Th>
              <Th>Created</Th>
              <Th>Last used</Th>
              <Th>Status</Th>
              <Th><span className="sr-only">Actions</span></Th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id}>
                <Td className="font-medium">{t.name}</Td>
                <Td className="font-mono text-xs">{t.prefix}…</Td>
                <Td><DateTime value={t.createdAt} /></Td>
                <Td><DateTime value={t.lastUsedAt} /></Td>
                <Td>{t.revokedAt ? <span className="text-red-700">Revoked</span> : <span className="text-emerald-700">Active</span>}</Td>
                <Td className="text-right">
                  {!t.revokedAt && (
                    <ConfirmDialog
                      trigger={<Button variant="secondary" aria-label={`Revoke ${t.name}`}>Revoke</Button>}
                      title={`Revoke “${t.name}”?`}
                      description="Requests that use this token will be refused from now on. This cannot be undone."
                      confirmLabel="Revoke token"
                      onConfirm={() => revoke(t.id)}
                    />
                  )}
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </div>
  );
}

function NewTokenNotice({ name, token, onDone }: { name: string; token: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div role="status" className="rounded-lg border border-emerald-300 bg-emerald-50 p-4">
      <p className="text-sm font-medium text-emerald-900">
        Token “{name}” created. Copy it now: it will not be shown again.
      </p>
      <div className="mt-2 flex items-center gap-2">
        <code data-testid="new-api-token" className="flex-1 overflow-x-auto rounded bg-white px-3 py-2 font-mono text-xs">
          {token}
        </code>
        <Button
          variant="secondary"
          onClick={async () => {
            await navigator.clipboard?.writeText(token).catch(() => {});
            setCopied(true);
          }}
        >
          {copied ? <Check className="size-4" aria-hidden /> : <Copy className="size-4" aria-hidden />}
          {copied ? "Copied" : "Copy"}
        </Button>
        <Button variant="secondary" onClick={onDone}>
          Done
        </Button>
      </div>
    </div>
  );
}

"use client";

import { CheckCircle2, KeyRound, Loader2, XCircle } from "lucide-react";
import { useState, useTransition } from "react";
import type { UseFormReturn } from "react-hook-form";
import { Button } from "@/components/ui/button";
import type { MethodChoice } from "@/lib/trusted-sites/method-choices";
import type { TokenEndpointTest } from "@/lib/trusted-sites/test-token-endpoint";
import { authRequestParams, type AuthFormValues } from "./auth-form-values";

/**
 * "Test token endpoint" in the site form, for the OAuth methods with a token endpoint: asks for a
 * token with the values typed in (blank stored secrets mean the stored ones) and shows the token
 * response with its tokens redacted, or why no token came. Nothing is saved or cached.
 */
export function TestTokenEndpoint({
  form,
  method,
  site,
}: {
  form: UseFormReturn<AuthFormValues>;
  method: MethodChoice;
  site?: { id: string; authMethod: string; secretsSet: Record<string, boolean> };
}) {
  const [answer, setAnswer] = useState<TokenEndpointTest | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [pending, startTest] = useTransition();
  const stored = site?.authMethod === method.method ? site : undefined;

  function run() {
    setProblem(null);
    setAnswer(null);
    form.clearErrors("authParams");
    startTest(async () => {
      const values = form.getValues();
      const body = {
        authMethod: method.method,
        authParams: authRequestParams(values, method, stored?.secretsSet ?? {}),
        ...(stored ? { siteId: stored.id } : {}),
      };
      try {
        const response = await fetch("/api/trusted-sites/test-token-endpoint", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        const json = await response.json().catch(() => ({}));
        if (response.ok) return setAnswer(json as TokenEndpointTest);
        if (response.status === 422 && Array.isArray(json.issues)) {
          for (const issue of json.issues as { path: (string | number)[]; message: string }[]) {
            form.setError(issue.path.join(".") as `authParams.${string}`, { message: issue.message });
          }
          return setProblem("Some fields need attention before the token endpoint can be tried.");
        }
        setProblem(json.error ?? `The test could not run (${response.status}). Try again.`);
      } catch {
        setProblem("The server could not be reached. Try again.");
      }
    });
  }

  return (
    <div className="flex flex-col gap-3 rounded-md border border-dashed border-slate-300 p-4" data-testid="test-token-endpoint">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <p className="text-sm text-slate-600">Try these settings: ask the token endpoint for a token now. Nothing is saved.</p>
        <Button type="button" variant="secondary" onClick={run} disabled={pending} aria-busy={pending || undefined}>
          {pending ? <Loader2 className="size-4 animate-spin" aria-hidden /> : <KeyRound className="size-4" aria-hidden />}
          {pending ? "Asking…" : "Test token endpoint"}
        </Button>
      </div>
      {problem && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {problem}
        </p>
      )}
      {answer && !pending && (
        <div className="flex flex-col gap-2" data-testid="token-endpoint-result">
          <p
            role="status"
            className={`flex items-start gap-2 rounded-md px-3 py-2 text-sm ${answer.ok ? "bg-emerald-50 text-emerald-800" : "bg-red-50 text-red-800"}`}
          >
            {answer.ok ? <CheckCircle2 className="mt-0.5 size-4 shrink-0" aria-hidden /> : <XCircle className="mt-0.5 size-4 shrink-0" aria-hidden />}
            <span>{answer.ok ? answer.summary : `No token: ${answer.error}`}</span>
          </p>
          {answer.tokenResponse && (
            <pre className="max-h-72 overflow-auto whitespace-pre-wrap break-all rounded bg-slate-50 px-3 py-2 font-mono text-xs" data-testid="token-response">
              {JSON.stringify(answer.tokenResponse, null, 2)}
            </pre>
          )}
        </div>
      )}
    </div>
  );
}

"use client";

import { CheckCircle2, Loader2, PlugZap, XCircle } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { Button } from "@/components/ui/button";
import type { Explanation } from "@/lib/auth-methods/types";
import type { ConnectionTest, ShownRequest } from "@/lib/trusted-sites/test-connection";

/**
 * The site page's Test connection: sends one test message now (POST /api/trusted-sites/{id}/test)
 * and shows the request as sent and signed, what the authentication method did, and the answer.
 */
export function TestConnection({ siteId }: { siteId: string }) {
  const [test, setTest] = useState<ConnectionTest | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [pending, startTest] = useTransition();
  const router = useRouter();

  function run() {
    setProblem(null);
    startTest(async () => {
      try {
        const response = await fetch(`/api/trusted-sites/${siteId}/test`, { method: "POST" });
        const body = await response.json().catch(() => ({}));
        if (!response.ok) {
          setTest(null);
          setProblem(body.error ?? `The test could not run (${response.status}). Try again.`);
          return;
        }
        setTest(body as ConnectionTest);
        // The audit trail below now lists the test.
        router.refresh();
      } catch {
        setProblem("The server could not be reached. Try again.");
      }
    });
  }

  return (
    <section className="mt-6 rounded-lg border border-slate-200 bg-white p-6" aria-labelledby="test-connection-heading" data-testid="test-connection">
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div>
          <h2 id="test-connection-heading" className="mb-1 text-base font-semibold">Test connection</h2>
          <p className="text-sm text-slate-600">
            Sends one test message (action <code className="font-mono text-xs">test_connection</code>) now, signed as deliveries are, and shows
            exactly what was sent and what came back. It is not recorded in the Logs; the audit trail notes it.
          </p>
        </div>
        <Button onClick={run} disabled={pending} aria-busy={pending || undefined}>
          {pending ? <Loader2 className="size-4 animate-spin" aria-hidden /> : <PlugZap className="size-4" aria-hidden />}
          {pending ? "Testing…" : "Test connection"}
        </Button>
      </div>
      {problem && (
        <p role="alert" className="mt-4 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {problem}
        </p>
      )}
      {test && !pending && <TestResult test={test} />}
    </section>
  );
}

function TestResult({ test }: { test: ConnectionTest }) {
  const { outcome } = test;
  const ok = outcome.kind === "response" && outcome.ok;
  return (
    <div className="mt-4 flex flex-col gap-5" data-testid="test-result">
      <div
        role="status"
        className={`flex items-start gap-2 rounded-md px-3 py-2 text-sm ${ok ? "bg-emerald-50 text-emerald-800" : "bg-red-50 text-red-800"}`}
      >
        {ok ? <CheckCircle2 className="mt-0.5 size-4 shrink-0" aria-hidden /> : <XCircle className="mt-0.5 size-4 shrink-0" aria-hidden />}
        <span data-testid="test-verdict">
          {outcome.kind === "response" ? outcome.verdict : outcome.explanation}
        </span>
      </div>
      <p className="text-xs text-slate-500">{test.pacing}</p>
      {test.request && <RequestShown request={test.request} />}
      {test.explanation && <ExplanationShown explanation={test.explanation} />}
      <Part title="Response">
        {outcome.kind === "response" ? (
          <div className="flex flex-col gap-2" data-testid="test-response">
            <p className="text-sm">
              <span className="font-semibold tabular-nums">{outcome.status}</span> in <span className="tabular-nums">{outcome.durationMs} ms</span>
              {outcome.resentAfterTokenRefresh && " (re-sent after a token refresh)"}
            </p>
            <Code>{outcome.headers.map(([name, value]) => `${name}: ${value}`).join("\n")}</Code>
            {outcome.bodyExcerpt !== "" && <Code label="Body (first 2 KB)">{outcome.bodyExcerpt}</Code>}
          </div>
        ) : (
          <div className="flex flex-col gap-1 text-sm" data-testid="test-error">
            <p>No answer{outcome.durationMs !== null ? ` after ${outcome.durationMs} ms` : ""}.</p>
            <p className="font-mono text-xs text-slate-600">{outcome.error}</p>
          </div>
        )}
      </Part>
    </div>
  );
}

function RequestShown({ request }: { request: ShownRequest }) {
  return (
    <Part title="Request as sent">
      <div data-testid="test-request" className="flex flex-col gap-2">
        <Code>
          {`${request.method} ${request.url}\n${Object.entries(request.headers)
            .map(([name, value]) => `${name}: ${value}`)
            .join("\n")}`}
        </Code>
        <Code label="Body">{request.body}</Code>
      </div>
    </Part>
  );
}

function ExplanationShown({ explanation }: { explanation: Explanation }) {
  return (
    <Part title="How it was authenticated">
      <div className="flex flex-col gap-2" data-testid="test-explanation">
        <p className="text-sm text-slate-700">{explanation.summary}</p>
        {explanation.items.map((item) =>
          item.format === "text" ? (
            <p key={item.key} className="text-sm">
              <span className="text-slate-500">{item.label}: </span>
              {item.value}
            </p>
          ) : (
            <Code key={item.key} label={item.label} testId={`explanation-${item.key}`}>
              {item.value}
            </Code>
          ),
        )}
      </div>
    </Part>
  );
}

function Part({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <div>
      <h3 className="mb-2 text-sm font-semibold text-slate-700">{title}</h3>
      {children}
    </div>
  );
}

function Code({ label, testId, children }: { label?: string; testId?: string; children: React.ReactNode }) {
  return (
    <div>
      {label && <p className="mb-1 text-xs font-medium text-slate-500">{label}</p>}
      <pre data-testid={testId} className="max-h-80 overflow-auto whitespace-pre-wrap break-all rounded bg-slate-50 px-3 py-2 font-mono text-xs">
        {children}
      </pre>
    </div>
  );
}

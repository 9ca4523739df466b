"use client";

import { useId, useMemo, useState } from "react";
import { renderTemplate, TemplateError, templateIssues, type TemplateJson, type TemplateScope } from "@/lib/workflows/template";

const SAMPLE_CUSTOMER: TemplateScope["customer"] = { id: "00000000-0000-4000-8000-000000000000", externalId: "customer-42", name: "Ada Lovelace", email: "ada@example.com" };

/** The JSON a Webhook message would send for an editable sample event, rendered as the engine renders it. */
export function PayloadPreview({ payload, triggerEvent, workflowName }: { payload: unknown; triggerEvent: string; workflowName: string }) {
  const [sampleText, setSampleText] = useState('{\n  "points": 120\n}');
  const sampleId = useId();
  const result = useMemo(() => {
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(sampleText);
      if (!data || typeof data !== "object" || Array.isArray(data)) return { error: "The sample event data must be a JSON object." };
    } catch (error) {
      return { error: `The sample event data is not valid JSON: ${(error as Error).message}` };
    }
    const issues = templateIssues(payload as TemplateJson);
    if (issues.length) return { error: issues.map((i) => `${i.path.join(".") || "payload"}: ${i.message}`).join("\n") };
    try {
      const scope: TemplateScope = { event: data, customer: SAMPLE_CUSTOMER, workflow: { id: "preview", name: workflowName || "This workflow", event: triggerEvent } };
      return { json: JSON.stringify(renderTemplate(payload as TemplateJson, scope), null, 2) };
    } catch (error) {
      if (error instanceof TemplateError) return { error: `${error.path.join(".") || "payload"}: ${error.message}` };
      return { error: (error as Error).message };
    }
  }, [payload, sampleText, triggerEvent, workflowName]);

  return (
    <section className="flex flex-col gap-2 rounded-md bg-slate-50 p-3" aria-label="Payload preview">
      <label htmlFor={sampleId} className="text-xs font-medium text-slate-700">
        Sample event data
      </label>
      <textarea id={sampleId} rows={3} spellCheck={false} value={sampleText} onChange={(e) => setSampleText(e.target.value)} className="rounded border border-slate-300 bg-white px-2 py-1 font-mono text-xs" />
      <p className="text-xs text-slate-500">
        Customer in the preview: {SAMPLE_CUSTOMER.name} ({SAMPLE_CUSTOMER.email})
      </p>
      <div className="text-xs font-medium text-slate-700">Preview of the payload sent</div>
      {"json" in result ? (
        <pre data-testid="payload-preview" className="max-h-48 overflow-auto rounded border border-slate-200 bg-white p-2 font-mono text-xs">
          {result.json}
        </pre>
      ) : (
        <p role="alert" data-testid="payload-preview-error" className="whitespace-pre-wrap rounded bg-red-50 px-2 py-1 text-xs font-medium text-red-700">
          {result.error}
        </p>
      )}
    </section>
  );
}

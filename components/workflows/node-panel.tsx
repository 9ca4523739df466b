"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { AlertTriangle } from "lucide-react";
import { useEffect, useId, useRef, useState } from "react";
import { FormProvider, useForm, useWatch, type FieldPath, type FieldValues, type Resolver } from "react-hook-form";
import type { z } from "zod";
import { TextField } from "@/components/ui/text-field";
import { triggerSchema } from "@/lib/workflows/definition";
import { nodeKinds, type NodeKind } from "@/lib/workflows/nodes/kinds";
import { ConditionsFields } from "./conditions-fields";
import { siteWarning, type SiteChoice } from "./flow-graph";
import { PayloadPreview } from "./payload-preview";

/** A server issue inside the node: `path` is relative to its config (or the trigger); "" is about the node itself. */
export interface PanelIssue {
  path: string;
  message: string;
}

/**
 * A form checked with `schema` (the kind's own, shared with the API and the engine) whose values
 * flow back to the canvas on every change; the server's issues land on the same fields.
 */
function useSyncedForm<T extends FieldValues>(schema: z.ZodType, defaults: T, issues: PanelIssue[], onChange: (values: T) => void) {
  const form = useForm<T>({
    resolver: zodResolver(schema as never, undefined, { raw: true }) as unknown as Resolver<T>,
    defaultValues: defaults as never,
    mode: "onChange",
  });
  useEffect(
    () => form.subscribe({ formState: { values: true }, callback: ({ values }) => onChange(structuredClone(values) as T) }),
    [form, onChange],
  );
  useEffect(() => {
    for (const issue of issues) if (issue.path) form.setError(issue.path as FieldPath<T>, { message: issue.message });
  }, [form, issues]);
  return form;
}

function NodeIssues({ issues }: { issues: PanelIssue[] }) {
  const general = issues.filter((i) => !i.path);
  if (general.length === 0) return null;
  return (
    <ul role="alert" className="rounded-md bg-red-50 px-3 py-2 text-xs font-medium text-red-700">
      {general.map((i) => (
        <li key={i.message}>{i.message}</li>
      ))}
    </ul>
  );
}

export type TriggerValues = { event: string; conditions: NonNullable<z.input<typeof triggerSchema>["conditions"]> };

export function TriggerPanel({ trigger, issues, onChange }: { trigger: TriggerValues; issues: PanelIssue[]; onChange: (t: TriggerValues) => void }) {
  const form = useSyncedForm<TriggerValues>(triggerSchema, { event: trigger.event, conditions: trigger.conditions }, issues, onChange);
  return (
    <FormProvider {...form}>
      <div className="flex flex-col gap-4">
        <h2 className="text-base font-semibold">Trigger</h2>
        <NodeIssues issues={issues} />
        <TextField label="Event" placeholder="point_add" help="The customer event that starts this workflow." error={form.formState.errors.event?.message} {...form.register("event")} />
        <ConditionsFields label="Only when (optional)" />
      </div>
    </FormProvider>
  );
}

type ConditionConfig = z.input<(typeof nodeKinds)["condition"]["schema"]>;
/** The Webhook message config as the form holds it (the kind's schema checks it; its JSON type is too deep for form paths). */
type WebhookConfig = { siteId: string; action: string; payload: unknown };

export interface NodePanelProps {
  nodeId: string;
  kind: NodeKind;
  config: Record<string, unknown>;
  issues: PanelIssue[];
  sites: SiteChoice[];
  triggerEvent: string;
  workflowName: string;
  onChange: (config: Record<string, unknown>, problem?: string) => void;
  onDelete: () => void;
}

export function NodePanel(props: NodePanelProps) {
  const info = nodeKinds[props.kind];
  return (
    <div className="flex flex-col gap-4">
      <div className="flex items-start justify-between gap-2">
        <div>
          <h2 className="text-base font-semibold">{info.label}</h2>
          <p className="text-xs text-slate-500">{info.description}</p>
        </div>
        <button type="button" onClick={props.onDelete} className="rounded-md border border-slate-300 px-2 py-1 text-xs text-red-700 hover:bg-red-50">
          Delete node
        </button>
      </div>
      <NodeIssues issues={props.issues} />
      {props.kind === "condition" ? <ConditionForm {...props} /> : <WebhookMessageForm {...props} />}
    </div>
  );
}

function ConditionForm({ config, issues, onChange }: NodePanelProps) {
  const form = useSyncedForm<ConditionConfig>(nodeKinds.condition.schema, { conditions: (config.conditions as ConditionConfig["conditions"]) ?? [] }, issues, onChange);
  return (
    <FormProvider {...form}>
      <ConditionsFields label="True when all of these hold" />
    </FormProvider>
  );
}

function WebhookMessageForm({ config, issues, sites, triggerEvent, workflowName, onChange }: NodePanelProps) {
  const activeSites = sites.filter((s) => s.status === "active");
  const initial: WebhookConfig = { siteId: (config.siteId as string) ?? "", action: (config.action as string) ?? "", payload: config.payload ?? {} };
  const [payloadText, setPayloadText] = useState(() => JSON.stringify(initial.payload, null, 2));
  const [jsonProblem, setJsonProblem] = useState<string | undefined>();
  // Read by the form's change listener, which may run before the state above is committed.
  const jsonProblemRef = useRef<string | undefined>(undefined);
  const form = useSyncedForm<WebhookConfig>(nodeKinds["webhook-message"].schema, initial, issues, (values) => onChange(values, jsonProblemRef.current));
  const errors = form.formState.errors as Partial<Record<"siteId" | "action", { message?: string }>> & { payload?: { message?: string } & Record<string, unknown> };
  const siteId = useWatch({ control: form.control, name: "siteId" });
  const payload = useWatch({ control: form.control, name: "payload" });
  const warning = siteWarning({ siteId }, sites);
  const selectId = useId();
  const payloadId = useId();

  function editPayload(text: string) {
    setPayloadText(text);
    try {
      const parsed = JSON.parse(text);
      jsonProblemRef.current = undefined;
      setJsonProblem(undefined);
      form.clearErrors("payload");
      form.setValue("payload", parsed as never, { shouldDirty: true });
    } catch (error) {
      const problem = `The payload template is not valid JSON: ${(error as Error).message}`;
      jsonProblemRef.current = problem;
      setJsonProblem(problem);
      form.setError("payload", { message: problem });
      onChange(form.getValues(), problem);
    }
  }

  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-col gap-1">
        <label htmlFor={selectId} className="text-sm font-medium text-slate-700">
          Trusted site
        </label>
        <select id={selectId} className="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm" {...form.register("siteId")}>
          <option value="">Choose an active site…</option>
          {activeSites.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
          {warning && <option value={siteId}>(no longer offered)</option>}
        </select>
        {activeSites.length === 0 && <p className="text-xs text-slate-500">No active trusted sites: activate one under Trusted sites first.</p>}
        {warning && (
          <p role="alert" className="flex gap-1 text-xs font-medium text-amber-800">
            <AlertTriangle className="size-3.5 shrink-0" aria-hidden /> {warning}
          </p>
        )}
        {errors.siteId && <p className="text-xs font-medium text-red-600">{errors.siteId.message}</p>}
      </div>
      <TextField label="Action" placeholder={triggerEvent || "the trigger's event"} help="Blank: the trigger's event name." error={errors.action?.message} {...form.register("action")} />
      <div className="flex flex-col gap-1">
        <label htmlFor={payloadId} className="text-sm font-medium text-slate-700">
          Payload template (JSON)
        </label>
        <textarea
          id={payloadId}
          rows={7}
          spellCheck={false}
          value={payloadText}
          onChange={(e) => editPayload(e.target.value)}
          aria-invalid={errors.payload ? true : undefined}
          className="rounded-md border border-slate-300 px-3 py-2 font-mono text-xs"
        />
        <p className="text-xs text-slate-500">
          Use <code>{"{{ event.points }}"}</code>, <code>{"{{ customer.email }}"}</code>, <code>{"{{ workflow.name }}"}</code>. A value that is exactly one reference keeps its type.
        </p>
        {errors.payload && <p className="text-xs font-medium text-red-600">{errors.payload.message}</p>}
        {Object.entries(errors.payload ?? {})
          .filter(([key]) => !["message", "type", "ref", "root"].includes(key))
          .map(([key, e]) => (
            <p key={key} className="text-xs font-medium text-red-600">
              {key}: {(e as { message?: string }).message}
            </p>
          ))}
      </div>
      {!jsonProblem && <PayloadPreview payload={payload} triggerEvent={triggerEvent} workflowName={workflowName} />}
    </div>
  );
}

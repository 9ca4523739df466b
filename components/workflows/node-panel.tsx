"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { AlertTriangle } from "lucide-react";
import { useEffect, useId, useRef, useState } from "react";
import { FormProvider, useForm, useWatch, type FieldPath, type FieldValues, type Resolver, type UseFormReturn } from "react-hook-form";
import type { z } from "zod";
import { authFormValues, authRequestParams, type AuthFormValues } from "@/components/trusted-sites/auth-form-values";
import { AuthMethodFields } from "@/components/trusted-sites/method-fields";
import { RequestShapeFields, type RequestShapeFormValues } from "@/components/trusted-sites/request-shape-fields";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/text-field";
import type { AuthMethod } from "@/lib/auth-methods/method-names";
import type { MethodChoice } from "@/lib/trusted-sites/method-choices";
import { triggerSchema } from "@/lib/workflows/definition";
import { LEGACY_TIMEOUT_DEFAULT_MS, nodeKinds, type NodeKind } from "@/lib/workflows/nodes/kinds";
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
  /** The authentication methods a legacy node offers. */
  methods: MethodChoice[];
  /** A legacy node as saved: the workflow, whether this node is in its saved version, which secrets are stored. */
  legacy?: LegacyNodeState;
  onChange: (config: Record<string, unknown>, problem?: string) => void;
  onSwitchToSite?: (site: SiteChoice) => void;
  onDelete: () => void;
}

export interface LegacyNodeState {
  workflowId?: string;
  saved: boolean;
  storedMethod?: AuthMethod;
  secretsSet: Record<string, boolean>;
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
      {props.kind === "condition" ? (
        <ConditionForm {...props} />
      ) : props.kind === "webhook-message" ? (
        <WebhookMessageForm {...props} />
      ) : (
        <LegacyWebhookMessageForm {...props} />
      )}
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
  const payload = usePayloadTemplate(initial.payload);
  const form = useSyncedForm<WebhookConfig>(nodeKinds["webhook-message"].schema, initial, issues, (values) => onChange(values, payload.problem.current));
  const errors = form.formState.errors as Partial<Record<"siteId" | "action", { message?: string }>>;
  const siteId = useWatch({ control: form.control, name: "siteId" });
  const warning = siteWarning({ siteId }, sites);
  const selectId = useId();

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
      <MessageFields
        form={form as unknown as UseFormReturn<MessageValues>}
        payload={payload}
        triggerEvent={triggerEvent}
        workflowName={workflowName}
        onInvalid={(problem) => onChange(form.getValues(), problem)}
      />
    </div>
  );
}

/** The legacy node's form values: the connection as the site form holds it, and the message. */
type LegacyValues = AuthFormValues & RequestShapeFormValues & MessageValues & { url: string; timeoutMs: string };

function legacyValues(config: Record<string, unknown>, methods: MethodChoice[]): LegacyValues {
  const method = methods.find((m) => m.method === config.authMethod) ?? methods[0]!;
  return {
    url: (config.url as string) ?? "",
    contentType: (config.contentType as string) ?? "application/json",
    httpMethod: (config.httpMethod as LegacyValues["httpMethod"]) ?? "POST",
    bodyEncoding: (config.bodyEncoding as LegacyValues["bodyEncoding"]) ?? "json",
    headers: (config.headers as LegacyValues["headers"]) ?? [],
    timeoutMs: String(config.timeoutMs ?? LEGACY_TIMEOUT_DEFAULT_MS),
    ...authFormValues(method, (config.authParams as Record<string, unknown>) ?? {}),
    action: (config.action as string) ?? "",
    payload: config.payload ?? {},
  };
}

function LegacyWebhookMessageForm(props: NodePanelProps) {
  const { config, issues, methods, legacy, triggerEvent, workflowName, onChange } = props;
  const initial = legacyValues(config, methods);
  const payload = usePayloadTemplate(initial.payload);
  // The node's config as the API takes it: the method's fields only, an untouched stored secret left out (kept).
  const toConfig = ({ keyValues: _keyValues, ...values }: LegacyValues) => {
    const method = methods.find((m) => m.method === values.authMethod) ?? methods[0]!;
    const secretsSet = legacy?.storedMethod === method.method ? legacy.secretsSet : {};
    return { ...values, authParams: authRequestParams({ ...values, keyValues: _keyValues }, method, secretsSet) };
  };
  const form = useSyncedForm<LegacyValues>(nodeKinds["webhook-message-legacy"].schema, initial, issues, (values) => onChange(toConfig(values), payload.problem.current));
  const errors = form.formState.errors;

  return (
    <div className="flex flex-col gap-4">
      <p className="rounded-md bg-amber-50 px-3 py-2 text-xs text-amber-900">
        Legacy: the connection lives in this node. A trusted site can be shared, paced and watched on its own page: use <strong>Save as trusted site</strong>.
      </p>
      <TextField label="URL" placeholder="https://receiver.example.com/webhooks" error={errors.url?.message} {...form.register("url")} />
      <RequestShapeFields form={form as unknown as UseFormReturn<RequestShapeFormValues>} />
      <TextField
        label="Timeout (milliseconds)"
        type="number"
        min={1000}
        max={60000}
        help="1000 by default, 60000 at most."
        error={errors.timeoutMs?.message}
        {...form.register("timeoutMs")}
      />
      <AuthMethodFields form={form as unknown as UseFormReturn<AuthFormValues>} methods={methods} storedMethod={legacy?.storedMethod} secretsSet={legacy?.secretsSet} />
      <MessageFields
        form={form as unknown as UseFormReturn<MessageValues>}
        payload={payload}
        triggerEvent={triggerEvent}
        workflowName={workflowName}
        onInvalid={(problem) => onChange(toConfig(form.getValues()), problem)}
      />
      <SaveAsSite {...props} />
    </div>
  );
}

/** "Save as trusted site": a draft site from the node as last saved, then an offer to switch the node to it. */
function SaveAsSite({ nodeId, workflowName, legacy, onSwitchToSite }: NodePanelProps) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState(`${workflowName} – ${nodeId}`.slice(0, 100));
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<SiteChoice | null>(null);
  if (!legacy?.workflowId || !legacy.saved) {
    return <p className="text-xs text-slate-500">Save the workflow to be able to save this node as a trusted site.</p>;
  }
  const workflowId = legacy.workflowId;

  async function create() {
    setBusy(true);
    setError(undefined);
    try {
      const response = await fetch(`/api/workflows/${workflowId}/nodes/${encodeURIComponent(nodeId)}/trusted-site`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name }),
      });
      const answer = await response.json().catch(() => ({}));
      if (response.ok) setCreated({ id: answer.id, name: answer.name, status: answer.status });
      else setError(answer.issues?.[0]?.message ?? answer.error ?? `Creating the site failed (${response.status}). Try again.`);
    } catch {
      setError("The server could not be reached. Try again.");
    } finally {
      setBusy(false);
    }
  }

  if (created) {
    return (
      <div role="status" className="flex flex-col gap-2 rounded-md bg-emerald-50 px-3 py-2 text-xs text-emerald-900">
        <p>
          Draft site “{created.name}” created with this node&apos;s connection.{" "}
          <a href={`/trusted-sites/${created.id}`} target="_blank" rel="noreferrer" className="font-medium underline">
            Open it to activate it
          </a>
          , then switch this node to a Webhook message that sends to it.
        </p>
        <div>
          <Button type="button" variant="secondary" onClick={() => onSwitchToSite?.(created)}>
            Switch node to Webhook message
          </Button>
        </div>
      </div>
    );
  }
  if (!open) {
    return (
      <div>
        <Button type="button" variant="secondary" onClick={() => setOpen(true)}>
          Save as trusted site…
        </Button>
      </div>
    );
  }
  return (
    <div className="flex flex-col gap-2 rounded-md border border-slate-200 p-3">
      <TextField label="Name of the new trusted site" value={name} error={error} onChange={(e) => setName(e.target.value)} />
      <p className="text-xs text-slate-500">Made from the node as last saved, as a draft. The node is not changed.</p>
      <div className="flex gap-2">
        <Button type="button" onClick={create} disabled={busy}>
          {busy ? "Creating…" : "Create draft site"}
        </Button>
        <Button type="button" variant="secondary" onClick={() => setOpen(false)}>
          Cancel
        </Button>
      </div>
    </div>
  );
}

type MessageValues = { action: string; payload: unknown };

/** The payload template's text, and whether it is valid JSON (read by change listeners, which may run before state commits). */
function usePayloadTemplate(initial: unknown) {
  const [text, setText] = useState(() => JSON.stringify(initial, null, 2));
  const [problem, setProblem] = useState<string | undefined>();
  const problemRef = useRef<string | undefined>(undefined);
  const mark = (next: string | undefined) => {
    problemRef.current = next;
    setProblem(next);
  };
  return { text, setText, problemState: problem, mark, problem: problemRef };
}
type PayloadTemplate = ReturnType<typeof usePayloadTemplate>;

/** Action, payload template (JSON with Liquid references) and its live preview, shared by both message nodes. */
function MessageFields({
  form,
  payload,
  triggerEvent,
  workflowName,
  onInvalid,
}: {
  form: UseFormReturn<MessageValues>;
  payload: PayloadTemplate;
  triggerEvent: string;
  workflowName: string;
  /** The template stopped being JSON: the node keeps its last good payload and is marked. */
  onInvalid: (problem: string) => void;
}) {
  const errors = form.formState.errors as Partial<Record<"action", { message?: string }>> & { payload?: { message?: string } & Record<string, unknown> };
  const value = useWatch({ control: form.control, name: "payload" });
  const payloadId = useId();

  function editPayload(text: string) {
    payload.setText(text);
    try {
      const parsed = JSON.parse(text);
      payload.mark(undefined);
      form.clearErrors("payload");
      form.setValue("payload", parsed as never, { shouldDirty: true });
    } catch (error) {
      const problem = `The payload template is not valid JSON: ${(error as Error).message}`;
      payload.mark(problem);
      form.setError("payload", { message: problem });
      onInvalid(problem);
    }
  }

  return (
    <>
      <TextField label="Action" placeholder={triggerEvent || "the trigger's event"} help="Blank: the trigger's event name." error={errors.action?.message} {...form.register("action")} />
      <div className="flex flex-col gap-1">
        <label htmlFor={payloadId} className="text-sm font-medium text-slate-700">
          Payload template (JSON)
        </label>
        <textarea
          id={payloadId}
          rows={7}
          spellCheck={false}
          value={payload.text}
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
      {!payload.problemState && <PayloadPreview payload={value} triggerEvent={triggerEvent} workflowName={workflowName} />}
    </>
  );
}

"use client";

import { Plus, Trash2 } from "lucide-react";
import { useId } from "react";
import { useFieldArray, useWatch, type UseFormReturn } from "react-hook-form";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { TextField } from "@/components/ui/text-field";
import type { AuthMethod } from "@/lib/auth-methods/method-names";
import type { FieldSpec } from "@/lib/auth-methods/types";
import type { MethodChoice } from "@/lib/trusted-sites/method-choices";
import type { AuthFormValues } from "./auth-form-values";
import { SecretInput } from "./secret-input";

type Form = UseFormReturn<AuthFormValues>;

/**
 * The method dropdown and the chosen method's fields, for any form holding AuthFormValues (the site
 * form, the legacy workflow node). `secretsSet` says which secrets are stored for `storedMethod`.
 */
export function AuthMethodFields({
  form,
  methods,
  storedMethod,
  secretsSet,
}: {
  form: Form;
  methods: MethodChoice[];
  storedMethod?: AuthMethod;
  secretsSet?: Record<string, boolean>;
}) {
  const chosen = useWatch({ control: form.control, name: "authMethod" });
  const method = methods.find((m) => m.method === chosen) ?? methods[0]!;
  const selectId = useId();

  function chooseMethod(next: AuthMethod) {
    form.setValue("authMethod", next, { shouldDirty: true });
    const choice = methods.find((m) => m.method === next)!;
    for (const field of choice.fields) {
      if (field.kind === "key-values") continue;
      const current = form.getValues(`authParams.${field.name}`);
      if (current === undefined || current === "") form.setValue(`authParams.${field.name}`, String(field.defaultValue ?? ""));
    }
    form.clearErrors("authParams");
  }

  return (
    <>
      <div className="flex flex-col gap-1">
        <label htmlFor={selectId} className="text-sm font-medium text-slate-700">
          Authentication method
        </label>
        <select
          id={selectId}
          value={method.method}
          onChange={(e) => chooseMethod(e.target.value as AuthMethod)}
          className="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm"
        >
          {methods.map((m) => (
            <option key={m.method} value={m.method}>
              {m.label}
            </option>
          ))}
        </select>
        <p className="text-xs text-slate-500">{method.description}</p>
      </div>
      <MethodFields form={form} method={method} secretsSet={storedMethod === method.method ? (secretsSet ?? {}) : {}} />
    </>
  );
}

/**
 * The chosen method's required fields left empty, as errors keyed by field name, worded as the
 * method's schema words them ("Username is required"). The browser checks only these; everything
 * else about the parameters is the server's (the schemas use Node crypto), so without this an
 * empty form showed the method's errors only on the second Save. A stored secret left empty is kept.
 */
export function missingRequiredParams(
  method: MethodChoice,
  authParams: Record<string, string | undefined>,
  secretsSet: Record<string, boolean>,
): Record<string, { type: "required"; message: string }> {
  const missing: Record<string, { type: "required"; message: string }> = {};
  for (const field of method.fields) {
    if (!field.required || field.kind === "key-values" || secretsSet[field.name]) continue;
    if ((authParams[field.name] ?? "").trim() === "") missing[field.name] = { type: "required", message: `${field.label} is required` };
  }
  return missing;
}

/** The chosen method's fields, rendered from its module's field list (labels, help, limits). */
export function MethodFields({ form, method, secretsSet }: { form: Form; method: MethodChoice; secretsSet: Record<string, boolean> }) {
  if (method.fields.length === 0) {
    return <p className="text-sm text-slate-500">This method has no settings.</p>;
  }
  return (
    <div className="flex flex-col gap-4" data-testid={`fields-${method.method}`}>
      {method.fields.map((field) => (
        <MethodField key={`${method.method}.${field.name}`} form={form} field={field} stored={Boolean(secretsSet[field.name])} />
      ))}
    </div>
  );
}

function MethodField({ form, field, stored }: { form: Form; field: FieldSpec; stored: boolean }) {
  const name = `authParams.${field.name}` as const;
  const error = (form.formState.errors.authParams as Record<string, { message?: string }> | undefined)?.[field.name]?.message;
  const label = field.required ? field.label : `${field.label} (optional)`;

  switch (field.kind) {
    case "text":
    case "number":
      return (
        <TextField
          label={label}
          type={field.kind === "number" ? "number" : "text"}
          help={field.help}
          placeholder={field.placeholder}
          error={error}
          {...form.register(name)}
        />
      );
    case "select":
      return (
        <FieldFrame id={name} label={label} help={field.help} error={error}>
          <select id={name} className="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm" {...form.register(name)}>
            {field.options?.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </FieldFrame>
      );
    case "secret":
    case "multiline-secret":
      return (
        <FieldFrame
          id={name}
          label={label}
          help={stored ? `A value is stored. Leave empty to keep it, or type a new one to replace it. ${field.help ?? ""}` : field.help}
          error={error}
        >
          <SecretInput
            id={name}
            multiline={field.kind === "multiline-secret"}
            invalid={Boolean(error)}
            placeholder={stored ? "•••••••• (stored)" : field.placeholder}
            aria-invalid={error ? true : undefined}
            {...form.register(name)}
          />
        </FieldFrame>
      );
    case "key-values":
      return <KeyValueRows form={form} field={field} label={label} error={error} />;
  }
}

function KeyValueRows({ form, field, label, error }: { form: Form; field: FieldSpec; label: string; error?: string }) {
  const rows = useFieldArray({ control: form.control, name: `keyValues.${field.name}` as `keyValues.${string}` });
  return (
    <fieldset className="flex min-w-0 flex-col gap-2">
      <legend className="text-sm font-medium text-slate-700">{label}</legend>
      {field.help && <p className="text-xs text-slate-500">{field.help}</p>}
      {rows.fields.map((row, i) => (
        <div key={row.id} className="flex items-center gap-2">
          <input
            aria-label={`${field.label} key ${i + 1}`}
            placeholder="key"
            className="w-48 min-w-0 shrink rounded-md border border-slate-300 px-3 py-2 font-mono text-sm"
            {...form.register(`keyValues.${field.name}.${i}.key`)}
          />
          <input
            aria-label={`${field.label} value ${i + 1}`}
            placeholder='value (text, 42, true, {"a":1})'
            className="min-w-0 flex-1 rounded-md border border-slate-300 px-3 py-2 font-mono text-sm"
            {...form.register(`keyValues.${field.name}.${i}.value`)}
          />
          <button
            type="button"
            onClick={() => rows.remove(i)}
            aria-label={`Remove ${field.label} row ${i + 1}`}
            className="rounded p-2 text-slate-500 hover:bg-slate-100 hover:text-red-700"
          >
            <Trash2 className="size-4" aria-hidden />
          </button>
        </div>
      ))}
      <div>
        <Button type="button" variant="secondary" onClick={() => rows.append({ key: "", value: "" })}>
          <Plus className="size-4" aria-hidden /> Add {field.label.toLowerCase()} entry
        </Button>
      </div>
      {error && <p className="text-xs font-medium text-red-600">{error}</p>}
    </fieldset>
  );
}

function FieldFrame({ id, label, help, error, children }: { id: string; label: string; help?: string; error?: string; children: React.ReactNode }) {
  return (
    <div className={cn("flex flex-col gap-1")}>
      <label htmlFor={id} className="text-sm font-medium text-slate-700">
        {label}
      </label>
      {children}
      {help && <p className="text-xs text-slate-500">{help}</p>}
      {error && <p className="text-xs font-medium text-red-600">{error}</p>}
    </div>
  );
}

"use client";

import { Plus, Trash2 } from "lucide-react";
import { useId } from "react";
import { useFieldArray, type UseFormReturn } from "react-hook-form";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/text-field";
import {
  BODY_ENCODINGS,
  bodyEncodingLabels,
  defaultContentType,
  HTTP_METHODS,
  type BodyEncoding,
  type RequestShape,
} from "@/lib/trusted-sites/request-shape";

export interface RequestShapeFormValues extends RequestShape {
  contentType: string;
}

type Form = UseFormReturn<RequestShapeFormValues>;

/** How requests are sent: method, body encoding, content type and extra headers (site form and legacy node). */
export function RequestShapeFields({ form }: { form: Form }) {
  const errors = form.formState.errors;
  const methodId = useId();
  const encodingId = useId();
  const encoding = form.register("bodyEncoding");

  function chooseEncoding(next: BodyEncoding) {
    // Offer the content type that goes with the encoding, unless the user typed their own.
    const current = form.getValues("contentType");
    if (!current || Object.values(defaultContentType).includes(current)) form.setValue("contentType", defaultContentType[next], { shouldDirty: true });
  }

  return (
    <>
      <div className="grid gap-4 sm:grid-cols-2">
        <div className="flex flex-col gap-1">
          <label htmlFor={methodId} className="text-sm font-medium text-slate-700">
            HTTP method
          </label>
          <select id={methodId} className="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm" {...form.register("httpMethod")}>
            {HTTP_METHODS.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
          {errors.httpMethod && <p className="text-xs font-medium text-red-600">{errors.httpMethod.message}</p>}
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor={encodingId} className="text-sm font-medium text-slate-700">
            Body encoding
          </label>
          <select
            id={encodingId}
            className="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm"
            {...encoding}
            onChange={(e) => {
              void encoding.onChange(e);
              chooseEncoding(e.target.value as BodyEncoding);
            }}
          >
            {BODY_ENCODINGS.map((e) => (
              <option key={e} value={e}>
                {bodyEncodingLabels[e]}
              </option>
            ))}
          </select>
          {errors.bodyEncoding && <p className="text-xs font-medium text-red-600">{errors.bodyEncoding.message}</p>}
        </div>
      </div>
      <TextField label="Content type" help="Sent as the Content-Type header of every request." error={errors.contentType?.message} {...form.register("contentType")} />
      <ExtraHeaders form={form} />
    </>
  );
}

function ExtraHeaders({ form }: { form: Form }) {
  const rows = useFieldArray({ control: form.control, name: "headers" });
  const errors = form.formState.errors.headers;
  const entered = form.watch("headers");
  // A secret header that came with the form has its value stored: blank keeps it.
  const stored = new Set((form.formState.defaultValues?.headers ?? []).filter((h) => h?.secret && h.name).map((h) => h!.name!.toLowerCase()));
  return (
    <fieldset className="flex min-w-0 flex-col gap-2">
      <legend className="text-sm font-medium text-slate-700">Extra headers (optional)</legend>
      <p className="text-xs text-slate-500">
        Sent with every request. The Logs show their names only. Mark a value secret (an API key) to store it encrypted; it is never shown again.
      </p>
      {rows.fields.map((row, i) => {
        const secret = entered?.[i]?.secret === true;
        const kept = secret && stored.has((entered?.[i]?.name ?? "").toLowerCase());
        return (
          <div key={row.id} className="flex flex-col gap-1">
            <div className="flex items-center gap-2">
              <input
                aria-label={`Header name ${i + 1}`}
                placeholder="X-Tenant"
                aria-invalid={errors?.[i]?.name ? true : undefined}
                className="w-40 min-w-0 shrink rounded-md border border-slate-300 px-3 py-2 font-mono text-sm"
                {...form.register(`headers.${i}.name`)}
              />
              <input
                aria-label={`Header value ${i + 1}`}
                type={secret ? "password" : "text"}
                autoComplete="off"
                placeholder={kept ? "Stored: leave blank to keep" : "value"}
                aria-invalid={errors?.[i]?.value ? true : undefined}
                className="min-w-0 flex-1 rounded-md border border-slate-300 px-3 py-2 font-mono text-sm"
                {...form.register(`headers.${i}.value`)}
              />
              <label className="flex shrink-0 items-center gap-1 text-xs text-slate-600">
                <input type="checkbox" aria-label={`Header ${i + 1} is secret`} {...form.register(`headers.${i}.secret`)} />
                Secret
              </label>
              <button
                type="button"
                onClick={() => rows.remove(i)}
                aria-label={`Remove header ${i + 1}`}
                className="rounded p-2 text-slate-500 hover:bg-slate-100 hover:text-red-700"
              >
                <Trash2 className="size-4" aria-hidden />
              </button>
            </div>
            {[errors?.[i]?.name?.message, errors?.[i]?.value?.message].filter(Boolean).map((message) => (
              <p key={message} className="text-xs font-medium text-red-600">
                {message}
              </p>
            ))}
          </div>
        );
      })}
      {errors?.message && <p className="text-xs font-medium text-red-600">{errors.message}</p>}
      <div>
        <Button type="button" variant="secondary" onClick={() => rows.append({ name: "", value: "", secret: false })}>
          <Plus className="size-4" aria-hidden /> Add header
        </Button>
      </div>
    </fieldset>
  );
}

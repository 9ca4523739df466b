"use client";

import { Plus, X } from "lucide-react";
import { useFieldArray, useFormContext, useWatch } from "react-hook-form";
import { Button } from "@/components/ui/button";
import { CONDITION_OPERATORS } from "@/lib/workflows/conditions";

const operatorLabels: Record<(typeof CONDITION_OPERATORS)[number], string> = {
  equals: "equals",
  not_equals: "does not equal",
  greater_than: "is greater than",
  at_least: "is at least",
  less_than: "is less than",
  at_most: "is at most",
  contains: "contains",
  exists: "exists",
  not_exists: "does not exist",
};

interface ErrorTree {
  conditions?: { message?: string; root?: { message?: string } } & Record<number, Record<string, { message?: string }> | undefined>;
}

/** The conditions list of the trigger's or a Condition node's form (inside its FormProvider). */
export function ConditionsFields({ label }: { label: string }) {
  const form = useFormContext<{ conditions: { field: string; operator: string; value?: string | number | boolean }[] }>();
  const { fields, append, remove } = useFieldArray({ control: form.control, name: "conditions" });
  const errors = form.formState.errors as ErrorTree;
  const operators = useWatch({ control: form.control, name: "conditions" });
  const listError = errors.conditions?.message ?? errors.conditions?.root?.message;
  return (
    <fieldset className="flex flex-col gap-2">
      <legend className="mb-1 text-sm font-medium text-slate-700">{label}</legend>
      {fields.length === 0 && <p className="text-xs text-slate-500">No conditions.</p>}
      {fields.map((field, i) => {
        const rowErrors = errors.conditions?.[i];
        const operator = operators?.[i]?.operator;
        return (
          <div key={field.id} className="rounded-md border border-slate-200 p-2">
            <div className="flex gap-1">
              <input
                aria-label={`Condition ${i + 1} field`}
                placeholder="event.points"
                aria-invalid={rowErrors?.field ? true : undefined}
                className="min-w-0 flex-1 rounded border border-slate-300 px-2 py-1 text-xs"
                {...form.register(`conditions.${i}.field`)}
              />
              <button type="button" onClick={() => remove(i)} aria-label={`Remove condition ${i + 1}`} className="rounded p-1 text-slate-500 hover:bg-slate-100">
                <X className="size-4" aria-hidden />
              </button>
            </div>
            <div className="mt-1 flex gap-1">
              <select aria-label={`Condition ${i + 1} operator`} className="rounded border border-slate-300 px-1 py-1 text-xs" {...form.register(`conditions.${i}.operator`)}>
                {CONDITION_OPERATORS.map((op) => (
                  <option key={op} value={op}>
                    {operatorLabels[op]}
                  </option>
                ))}
              </select>
              {!operator?.endsWith("exists") && (
                <input
                  aria-label={`Condition ${i + 1} value`}
                  placeholder="value"
                  aria-invalid={rowErrors?.value ? true : undefined}
                  className="min-w-0 flex-1 rounded border border-slate-300 px-2 py-1 text-xs"
                  {...form.register(`conditions.${i}.value`, { setValueAs: (v) => (v === "" || v === undefined ? undefined : v) })}
                />
              )}
            </div>
            {rowErrors &&
              Object.values(rowErrors).map((e, j) => (
                <p key={j} className="mt-1 text-xs font-medium text-red-600">
                  {e?.message}
                </p>
              ))}
          </div>
        );
      })}
      {listError && <p className="text-xs font-medium text-red-600">{listError}</p>}
      <Button type="button" variant="secondary" className="self-start px-2 py-1 text-xs" onClick={() => append({ field: "event.", operator: "equals", value: undefined })}>
        <Plus className="size-3.5" aria-hidden /> Add condition
      </Button>
    </fieldset>
  );
}

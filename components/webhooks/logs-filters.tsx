"use client";

import { Filter, X } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useId, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { ATTEMPT_STATUSES, filterSearchParams, logsFilterSchema, type LogsFilter } from "@/lib/webhooks/logs-query";
import { fromZonedInputValue, toZonedInputValue, UTC } from "@/lib/time-zone/zoned-time";
import { toFieldIssues } from "@/lib/validation";
import { useTimeZone } from "@/components/ui/time-zone";
import { STATUS_LABELS } from "./status-colors";

const inputClass =
  "rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30";


const QUICK_RANGES = [
  { label: "Last 15 minutes", ms: 15 * 60_000 },
  { label: "Last hour", ms: 60 * 60_000 },
  { label: "Last 24 hours", ms: 24 * 60 * 60_000 },
  { label: "Last 7 days", ms: 7 * 24 * 60 * 60_000 },
  { label: "Last 30 days", ms: 30 * 24 * 60 * 60_000 },
];

/**
 * The Logs filters, kept in the URL (shareable, survive reload), checked with the API's schema. A
 * customer is picked by name, e-mail or external id (suggested as you type), an action from those seen.
 */
export function LogsFilters({
  filter,
  sites,
  actions,
  customer,
}: {
  filter: LogsFilter;
  sites: { id: string; name: string }[];
  actions: string[];
  /** How the filtered customer is shown ("Name <e-mail>"). */
  customer?: string;
}) {
  const router = useRouter();
  // `datetime-local` has no zone: its value is read and shown on a clock in the chosen zone.
  const { zone } = useTimeZone();
  const zoneLabel = zone === UTC ? "UTC" : "local time";
  const [issues, setIssues] = useState<Record<string, string>>({});
  const customers = useCustomerSuggestions();
  const actionsId = useId();

  function apply(values: Record<string, string | undefined>) {
    const parsed = logsFilterSchema.safeParse(Object.fromEntries(Object.entries(values).filter(([, v]) => v)));
    if (!parsed.success) {
      setIssues(Object.fromEntries(toFieldIssues(parsed.error).map((i) => [String(i.path[0]), i.message])));
      return;
    }
    setIssues({});
    const query = filterSearchParams(parsed.data).toString();
    router.push(query ? `/webhooks/logs?${query}` : "/webhooks/logs");
  }

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? "").trim() || undefined;
    const picked = await resolveCustomer(text("customer"), filter.customerId && customer ? { id: filter.customerId, label: customer } : undefined);
    if ("problem" in picked) {
      setIssues({ customerId: picked.problem });
      return;
    }
    apply({
      status: text("status"),
      siteId: text("siteId"),
      customerId: picked.id,
      action: text("action"),
      from: fromZonedInputValue(text("from") ?? "", zone),
      to: fromZonedInputValue(text("to") ?? "", zone),
    });
  }

  const filtered = Object.values(filter).some(Boolean);
  return (
    <form
      // Re-mount on navigation so the inputs show the URL's filter (e.g. after Back).
      key={`${filterSearchParams(filter)} ${zone}`}
      onSubmit={onSubmit}
      aria-label="Filter attempts"
      className="mb-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm"
    >
      {/* From and To take two columns: a datetime-local input needs ~240 px to show its whole value. */}
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
        <Field label="Status" error={issues.status}>
          <select name="status" defaultValue={filter.status ?? ""} className={inputClass}>
            <option value="">Any status</option>
            {ATTEMPT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABELS[s]}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Trusted site" error={issues.siteId}>
          <select name="siteId" defaultValue={filter.siteId ?? ""} className={inputClass}>
            <option value="">Any site</option>
            {sites.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Customer" error={issues.customerId}>
          <input
            name="customer"
            defaultValue={customer ?? filter.customerId ?? ""}
            placeholder="name, e-mail or external id"
            list={customers.listId}
            autoComplete="off"
            onChange={(e) => customers.suggest(e.target.value)}
            className={inputClass}
          />
        </Field>
        <Field label="Action" error={issues.action}>
          <input name="action" defaultValue={filter.action ?? ""} placeholder="e.g. points.earned" list={actionsId} autoComplete="off" className={inputClass} />
        </Field>
        <Field label={`From (${zoneLabel})`} className="sm:col-span-2" error={issues.from}>
          <input type="datetime-local" name="from" defaultValue={toZonedInputValue(filter.from, zone)} className={inputClass} />
        </Field>
        <Field label={`To (${zoneLabel})`} className="sm:col-span-2" error={issues.to}>
          <input type="datetime-local" name="to" defaultValue={toZonedInputValue(filter.to, zone)} className={inputClass} />
        </Field>
      </div>
      <div className="mt-3 flex flex-wrap items-center gap-2">
        <Button type="submit">
          <Filter className="size-4" aria-hidden /> Apply filters
        </Button>
        {filtered && (
          <Button asChild variant="secondary">
            <Link href="/webhooks/logs">
              <X className="size-4" aria-hidden /> Clear filters
            </Link>
          </Button>
        )}
        <span className="ml-2 text-xs text-slate-500">Quick range:</span>
        {QUICK_RANGES.map((range) => (
          <button
            key={range.label}
            type="button"
            className="rounded-full border border-slate-200 px-2.5 py-1 text-xs text-slate-700 hover:bg-slate-50"
            onClick={() => apply({ ...filter, from: new Date(Date.now() - range.ms).toISOString(), to: undefined })}
          >
            {range.label}
          </button>
        ))}
      </div>
      {/* Outside the labels: a suggestion's text would become part of the field's name. */}
      <datalist id={customers.listId}>
        {customers.options.map((c) => (
          <option key={c.id} value={c.value}>
            {c.label}
          </option>
        ))}
      </datalist>
      <datalist id={actionsId}>
        {actions.map((a) => (
          <option key={a} value={a} />
        ))}
      </datalist>
    </form>
  );
}

function Field({
  label,
  error,
  className,
  children,
}: {
  label: string;
  error?: string;
  className?: string;
  children: React.ReactNode;
}) {
  return (
    <label className={cn("flex flex-col gap-1 text-sm font-medium text-slate-700", className)}>
      {label}
      {children}
      {error && <span className="text-xs font-medium text-red-600">{error}</span>}
    </label>
  );
}

interface CustomerOption {
  id: string;
  /** What picking it puts in the input: something that names this customer alone. */
  value: string;
  label: string;
}
type CustomerRow = { id: string; name: string; email: string | null; externalId: string | null };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toOption(c: CustomerRow): CustomerOption {
  return { id: c.id, value: c.email ?? c.externalId ?? c.name, label: [c.name, c.email ?? c.externalId].filter(Boolean).join(" · ") };
}

async function findCustomers(q: string, limit: number): Promise<CustomerRow[] | null> {
  const response = await fetch(`/api/customers?${new URLSearchParams({ q, limit: String(limit) })}`).catch(() => null);
  if (!response?.ok) return null;
  return ((await response.json()) as { items: CustomerRow[] }).items;
}

/** Suggestions for the customer input, fetched as the user types (the newest answer wins). */
function useCustomerSuggestions() {
  const listId = useId();
  const [options, setOptions] = useState<CustomerOption[]>([]);
  const latest = useRef("");
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  function suggest(text: string) {
    const q = text.trim();
    latest.current = q;
    clearTimeout(timer.current);
    if (q.length < 2 || UUID.test(q)) return setOptions([]);
    timer.current = setTimeout(async () => {
      const found = await findCustomers(q, 8);
      if (found && latest.current === q) setOptions(found.map(toOption));
    }, 200);
  }
  return { listId, options, suggest };
}

/** The customer the input names: a customer id as is, else the one customer whose name, e-mail or external id starts with it. */
async function resolveCustomer(text: string | undefined, current?: { id: string; label: string }): Promise<{ id?: string } | { problem: string }> {
  if (!text) return {};
  if (current && text === current.label) return { id: current.id };
  if (UUID.test(text)) return { id: text };
  const found = await findCustomers(text, 2);
  if (!found) return { problem: "Customers could not be searched just now. Try again." };
  if (found.length === 0) return { problem: `No customer's name, e-mail or external id starts with “${text}”` };
  if (found.length > 1) return { problem: `Several customers match “${text}”: type more of it, or pick one from the list` };
  return { id: found[0]!.id };
}

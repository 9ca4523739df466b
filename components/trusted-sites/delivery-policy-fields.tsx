"use client";

import { useId } from "react";
import { useWatch, type UseFormReturn } from "react-hook-form";
import { TextField } from "@/components/ui/text-field";
import {
  DEACTIVATE_AFTER_CHOICES,
  DEFAULT_INTERVAL_SECONDS,
  DEFAULT_RETRY_POLICY,
  formatSeconds,
  MAX_POLICY_ATTEMPTS,
  MAX_RETRY_DELAY_SECONDS,
  type RetryPolicy,
  type RetrySchedule,
} from "@/lib/delivery/policy/retry-policy";

/** The policy as the form holds it: numbers as typed, blank for "the default" or "off". */
export interface DeliveryPolicyFormValues {
  retryPolicy: {
    attempts: string;
    schedule: RetrySchedule;
    intervalSeconds: string;
    maxDelaySeconds: string;
    failFastOn4xx: boolean;
    deactivateAfterSeconds: string;
  };
}

export function deliveryPolicyFormValues(policy: RetryPolicy = DEFAULT_RETRY_POLICY): DeliveryPolicyFormValues["retryPolicy"] {
  return {
    attempts: String(policy.attempts),
    schedule: policy.schedule,
    intervalSeconds: policy.intervalSeconds === null ? "" : String(policy.intervalSeconds),
    maxDelaySeconds: String(policy.maxDelaySeconds),
    failFastOn4xx: policy.failFastOn4xx,
    deactivateAfterSeconds: policy.deactivateAfterSeconds === null ? "" : String(policy.deactivateAfterSeconds),
  };
}

const selectClass = "rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm";

/**
 * Attempts, schedule, fail-fast and automatic deactivation (issue 15), checked by the same schema as
 * the API (`retryPolicySchema`, part of the site's fields).
 */
export function DeliveryPolicyFields({ form }: { form: UseFormReturn<DeliveryPolicyFormValues> }) {
  const errors = form.formState.errors.retryPolicy;
  const scheduleId = useId();
  const deactivateId = useId();
  const failFastId = useId();
  const schedule = useWatch({ control: form.control, name: "retryPolicy.schedule" });
  const deactivateAfter = useWatch({ control: form.control, name: "retryPolicy.deactivateAfterSeconds" });
  // A period set through the API that the list does not offer stays choosable.
  const offered = DEACTIVATE_AFTER_CHOICES.some((c) => String(c.seconds) === deactivateAfter);
  const exponential = schedule === "exponential";

  return (
    <>
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField
          label="Attempts"
          type="number"
          min={1}
          max={MAX_POLICY_ATTEMPTS}
          help={`How many times a message is sent before it fails, the first send included (1–${MAX_POLICY_ATTEMPTS}).`}
          error={errors?.attempts?.message}
          {...form.register("retryPolicy.attempts")}
        />
        <div className="flex flex-col gap-1">
          <label htmlFor={scheduleId} className="text-sm font-medium text-slate-700">
            Schedule
          </label>
          <select id={scheduleId} className={selectClass} {...form.register("retryPolicy.schedule")}>
            <option value="fixed">Fixed interval</option>
            <option value="exponential">Exponential backoff with full jitter</option>
          </select>
          {errors?.schedule && <p className="text-xs font-medium text-red-600">{errors.schedule.message}</p>}
        </div>
        <TextField
          label={exponential ? "Base delay (seconds)" : "Interval (seconds)"}
          type="number"
          min={1}
          placeholder={`${DEFAULT_INTERVAL_SECONDS} (default)`}
          help={
            exponential
              ? "The first retry waits up to this long, each further one up to twice as long as the one before (a random share of it)."
              : `The wait after each failed attempt. Blank: the default, ${DEFAULT_INTERVAL_SECONDS} s.`
          }
          error={errors?.intervalSeconds?.message}
          {...form.register("retryPolicy.intervalSeconds")}
        />
        <TextField
          label="Maximum delay (seconds)"
          type="number"
          min={1}
          max={MAX_RETRY_DELAY_SECONDS}
          help={`No wait between attempts is longer, whatever the backoff or a receiver's Retry-After asks (at most ${MAX_RETRY_DELAY_SECONDS}, 24 h).`}
          error={errors?.maxDelaySeconds?.message}
          {...form.register("retryPolicy.maxDelaySeconds")}
        />
      </div>
      <p className="text-xs text-slate-500">
        A <code>Retry-After</code> on 429 or 503 is honoured when it asks for longer than the schedule. A 410 Gone fails the message and
        sets the site inactive; activating the site again resumes its paused messages.
      </p>
      <div className="flex items-start gap-2">
        <input id={failFastId} type="checkbox" className="mt-0.5 size-4" {...form.register("retryPolicy.failFastOn4xx")} />
        <div className="flex flex-col gap-1">
          <label htmlFor={failFastId} className="text-sm font-medium text-slate-700">
            Fail fast on 4xx
          </label>
          <p className="text-xs text-slate-500">A 4xx answer other than 408, 409, 425 and 429 fails the message at once, without retries.</p>
          {errors?.failFastOn4xx && <p className="text-xs font-medium text-red-600">{errors.failFastOn4xx.message}</p>}
        </div>
      </div>
      <div className="flex flex-col gap-1">
        <label htmlFor={deactivateId} className="text-sm font-medium text-slate-700">
          Deactivate automatically
        </label>
        <select id={deactivateId} className={`${selectClass} sm:w-1/2`} {...form.register("retryPolicy.deactivateAfterSeconds")}>
          <option value="">Off</option>
          {DEACTIVATE_AFTER_CHOICES.map((c) => (
            <option key={c.seconds} value={String(c.seconds)}>
              After {c.label} of failures
            </option>
          ))}
          {deactivateAfter && !offered && <option value={deactivateAfter}>After {formatSeconds(Number(deactivateAfter))} of failures</option>}
        </select>
        <p className="text-xs text-slate-500">
          When every attempt to the site has failed for this long, the system sets it inactive. Its messages wait, none lost, until it is
          activated again.
        </p>
        {errors?.deactivateAfterSeconds && <p className="text-xs font-medium text-red-600">{errors.deactivateAfterSeconds.message}</p>}
      </div>
    </>
  );
}

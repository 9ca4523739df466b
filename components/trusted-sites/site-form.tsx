"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { toast } from "sonner";
import { useForm, useWatch, type FieldPath, type Resolver, type UseFormReturn } from "react-hook-form";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/text-field";
import type { MethodChoice } from "@/lib/trusted-sites/method-choices";
import type { ExtraHeader, RequestShape } from "@/lib/trusted-sites/request-shape";
import { siteFieldsSchema } from "@/lib/trusted-sites/site-fields";
import type { SiteView } from "@/lib/trusted-sites/site-view";
import { authFormValues, authRequestParams, type AuthFormValues } from "./auth-form-values";
import { ClientCertificateFields, type ClientCertificateFormValues } from "./client-certificate-fields";
import { DeliveryPolicyFields, deliveryPolicyFormValues, type DeliveryPolicyFormValues } from "./delivery-policy-fields";
import { AuthMethodFields, missingRequiredParams } from "./method-fields";
import { RequestShapeFields, type RequestShapeFormValues } from "./request-shape-fields";
import { TestTokenEndpoint } from "./test-token-endpoint";

export interface SiteFormValues extends AuthFormValues, RequestShape, ClientCertificateFormValues, DeliveryPolicyFormValues {
  name: string;
  url: string;
  contentType: string;
  rps: string;
  threads: string;
  timeoutMs: string;
  orderedPerCustomer: boolean;
}

/**
 * Add or edit a trusted site. The browser checks the site's own fields with the same zod schema as
 * the API, and that the chosen method's required fields are filled; the method's parameters are
 * checked in full by the server with the method's schema, and its field errors land on the same inputs.
 */
export function SiteForm({ methods, site }: { methods: MethodChoice[]; site?: SiteView }) {
  const router = useRouter();
  const [problem, setProblem] = useState<string | null>(null);
  const form = useForm<SiteFormValues>({
    resolver: siteResolver(methods, site),
    defaultValues: initialValues(methods, site),
  });
  const chosen = useWatch({ control: form.control, name: "authMethod" });
  const method = methods.find((m) => m.method === chosen) ?? methods[0]!;
  const errors = form.formState.errors;

  async function onSubmit(values: SiteFormValues) {
    setProblem(null);
    const response = await fetch(site ? `/api/trusted-sites/${site.id}` : "/api/trusted-sites", {
      method: site ? "PATCH" : "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(toRequestBody(values, method, site)),
    });
    const body = await response.json().catch(() => ({}));
    if (response.ok) {
      toast.success(site ? `“${body.name}” saved` : `“${body.name}” saved as a draft`);
      router.push(`/trusted-sites/${body.id}`);
      router.refresh();
      return;
    }
    if (response.status === 422 && Array.isArray(body.issues)) {
      for (const issue of body.issues as { path: (string | number)[]; message: string }[]) {
        form.setError(issue.path.join(".") as FieldPath<SiteFormValues>, { message: issue.message });
      }
      setProblem("Some fields need attention.");
    } else if (response.status === 409) {
      form.setError("name", { message: body.error });
    } else {
      setProblem(body.error ?? `Saving failed (${response.status}). Try again.`);
    }
  }

  return (
    <form onSubmit={form.handleSubmit(onSubmit)} noValidate className="flex max-w-3xl flex-col gap-8">
      <section className="flex flex-col gap-4 rounded-lg border border-slate-200 bg-white p-6">
        <h2 className="text-base font-semibold">Site</h2>
        <TextField label="Name" error={errors.name?.message} placeholder="e.g. CRM (production)" {...form.register("name")} />
        <TextField
          label="URL"
          help="Where webhooks are sent (http:// or https://). For AWS S3, the bucket URL."
          placeholder="https://receiver.example.com/webhooks"
          error={errors.url?.message}
          {...form.register("url")}
        />
        <RequestShapeFields form={form as unknown as UseFormReturn<RequestShapeFormValues>} />
      </section>

      <section className="flex flex-col gap-4 rounded-lg border border-slate-200 bg-white p-6">
        <h2 className="text-base font-semibold">Authentication</h2>
        <AuthMethodFields form={form as unknown as UseFormReturn<AuthFormValues>} methods={methods} storedMethod={site?.authMethod} secretsSet={site?.secretsSet} />
        {method.canTestTokenEndpoint && <TestTokenEndpoint form={form as unknown as UseFormReturn<AuthFormValues>} method={method} site={site} />}
        <ClientCertificateFields form={form as unknown as UseFormReturn<ClientCertificateFormValues>} stored={site?.clientCertificate} />
      </section>

      <section className="flex flex-col gap-4 rounded-lg border border-slate-200 bg-white p-6">
        <h2 className="text-base font-semibold">Async webhook performance settings</h2>
        <TextField
          label="Maximum requests per second (global across threads)"
          type="number"
          min={1}
          help="Counted across every worker and retry. Setting it higher than the receiver can take will overload it: ask its owner for its limit."
          error={errors.rps?.message}
          {...form.register("rps")}
        />
        <TextField
          label="Number of asynchronous threads"
          type="number"
          min={1}
          help="How many requests may be open at the same time. More threads deliver faster, but too many can overload the receiver."
          error={errors.threads?.message}
          {...form.register("threads")}
        />
        <TextField
          label="Timeout (milliseconds)"
          type="number"
          min={1000}
          help="A request without an answer after this long fails and is retried."
          error={errors.timeoutMs?.message}
          {...form.register("timeoutMs")}
        />
      </section>

      <section className="flex flex-col gap-4 rounded-lg border border-slate-200 bg-white p-6">
        <h2 className="text-base font-semibold">Delivery policy</h2>
        <DeliveryPolicyFields form={form as unknown as UseFormReturn<DeliveryPolicyFormValues>} />
      </section>
      <OrderedDeliveryField form={form} />

      {problem && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {problem}
        </p>
      )}
      <div className="flex gap-2">
        <Button type="submit" disabled={form.formState.isSubmitting}>
          {form.formState.isSubmitting ? "Saving…" : site ? "Save changes" : "Save as draft"}
        </Button>
        <Button type="button" variant="secondary" onClick={() => leave(router, site ? `/trusted-sites/${site.id}` : "/trusted-sites")}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

/** The "deliver in order per customer" option (DESIGN §3), in a block of its own. */
function OrderedDeliveryField({ form }: { form: UseFormReturn<SiteFormValues> }) {
  return (
    <section className="flex flex-col gap-2 rounded-lg border border-slate-200 bg-white p-6">
      <h2 className="text-base font-semibold">Message order</h2>
      <label className="flex items-start gap-2 text-sm">
        <input type="checkbox" className="mt-1" aria-describedby="ordered-per-customer-help" {...form.register("orderedPerCustomer")} />
        <span>Deliver in order per customer</span>
      </label>
      <p id="ordered-per-customer-help" className="text-sm text-slate-500">
        A customer&apos;s next message to this site waits until their earlier one is delivered or has failed, retries included.
        Other customers are not held up. Use it when the receiver needs, say, points added before they are redeemed.
      </p>
      {form.formState.errors.orderedPerCustomer && <p className="text-sm text-red-700">{form.formState.errors.orderedPerCustomer.message}</p>}
    </section>
  );
}

const siteFieldsResolver = zodResolver(siteFieldsSchema, undefined, { raw: true }) as unknown as Resolver<SiteFormValues>;

/** The site's fields by the API's schema, and the chosen method's required fields, in one pass. */
function siteResolver(methods: MethodChoice[], site?: SiteView): Resolver<SiteFormValues> {
  return async (values, context, options) => {
    const result = await siteFieldsResolver(values, context, options);
    const method = methods.find((m) => m.method === values.authMethod) ?? methods[0]!;
    const missing = missingRequiredParams(method, values.authParams, site?.authMethod === method.method ? site.secretsSet : {});
    if (Object.keys(missing).length === 0) return result;
    return { values: {}, errors: { ...result.errors, authParams: missing } } as Awaited<ReturnType<Resolver<SiteFormValues>>>;
  };
}

/**
 * Back to where the user came from; in a tab opened on this form (no earlier page of the app to go
 * back to, history back would show about:blank) to `fallback` instead.
 */
function leave(router: ReturnType<typeof useRouter>, fallback: string) {
  // The Navigation API lists only this origin's entries; without it, trust a same-origin referrer.
  const navigation = (window as { navigation?: { canGoBack: boolean } }).navigation;
  const canGoBack = navigation
    ? navigation.canGoBack
    : window.history.length > 1 && document.referrer.startsWith(`${window.location.origin}/`);
  if (canGoBack) router.back();
  else router.push(fallback);
}

function initialValues(methods: MethodChoice[], site?: SiteView): SiteFormValues {
  const method = methods.find((m) => m.method === (site?.authMethod ?? "none")) ?? methods[0]!;
  return {
    name: site?.name ?? "",
    url: site?.url ?? "",
    contentType: site?.contentType ?? "application/json",
    httpMethod: site?.httpMethod ?? "POST",
    bodyEncoding: site?.bodyEncoding ?? "json",
    headers: (site?.headers as ExtraHeader[] | undefined) ?? [],
    clientCertificate: site?.clientCertificate ? { certificate: site.clientCertificate.certificate, privateKey: "", ca: site.clientCertificate.ca } : null,
    rps: String(site?.rps ?? 10),
    threads: String(site?.threads ?? 1),
    timeoutMs: String(site?.timeoutMs ?? 10_000),
    retryPolicy: deliveryPolicyFormValues(site?.retryPolicy),
    orderedPerCustomer: site?.orderedPerCustomer ?? false,
    ...authFormValues(method, site?.authMethod === method.method ? site.authParams : {}),
  };
}

/** The API body: only the chosen method's fields; an untouched stored secret is left out (kept). */
function toRequestBody(values: SiteFormValues, method: MethodChoice, site?: SiteView) {
  return {
    name: values.name,
    url: values.url,
    contentType: values.contentType,
    httpMethod: values.httpMethod,
    bodyEncoding: values.bodyEncoding,
    headers: values.headers,
    clientCertificate: values.clientCertificate,
    authMethod: method.method,
    authParams: authRequestParams(values, method, site?.authMethod === method.method ? site.secretsSet : {}),
    rps: values.rps,
    threads: values.threads,
    timeoutMs: values.timeoutMs,
    retryPolicy: values.retryPolicy,
    orderedPerCustomer: values.orderedPerCustomer,
  };
}

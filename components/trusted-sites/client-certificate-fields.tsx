"use client";

import { useId, useState } from "react";
import { useWatch, type UseFormReturn } from "react-hook-form";
import type { ClientCertificateInput, ClientCertificateView } from "@/lib/trusted-sites/client-certificate";
import { SecretInput } from "./secret-input";

export interface ClientCertificateFormValues {
  clientCertificate: ClientCertificateInput | null;
}

type Form = UseFormReturn<ClientCertificateFormValues>;

const EMPTY: ClientCertificateInput = { certificate: "", privateKey: "", ca: "" };

/** Mutual TLS: a certificate (and key) the site presents to the receiver, and CAs to trust for it. */
export function ClientCertificateFields({ form, stored }: { form: Form; stored?: ClientCertificateView | null }) {
  const value = useWatch({ control: form.control, name: "clientCertificate" });
  const [on, setOn] = useState(value !== null);
  const errors = form.formState.errors.clientCertificate;
  const ids = { certificate: useId(), privateKey: useId(), ca: useId() };
  const keyStored = Boolean(stored?.privateKeySet);

  function toggle(next: boolean) {
    setOn(next);
    form.setValue("clientCertificate", next ? (value ?? { ...EMPTY }) : null, { shouldDirty: true });
  }

  return (
    <div className="flex flex-col gap-3">
      <label className="flex items-center gap-2 text-sm font-medium text-slate-700">
        <input type="checkbox" checked={on} onChange={(e) => toggle(e.target.checked)} />
        Present a client certificate (mutual TLS)
      </label>
      <p className="text-xs text-slate-500">
        For receivers that authenticate senders by certificate. Needs an https:// URL. The key is stored encrypted and never shown again.
      </p>
      {on && (
        <div className="flex flex-col gap-3 border-l-2 border-slate-200 pl-4">
          {stored && (
            <p className="text-xs text-slate-600">
              Stored: {stored.subject}, issued by {stored.issuer}, valid until {new Date(stored.validTo).toUTCString()}.
            </p>
          )}
          <Pem id={ids.certificate} label="Certificate (PEM)" error={errors?.certificate?.message}>
            <textarea
              id={ids.certificate}
              rows={4}
              spellCheck={false}
              placeholder="-----BEGIN CERTIFICATE-----"
              aria-invalid={errors?.certificate ? true : undefined}
              className="w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-xs"
              {...form.register("clientCertificate.certificate")}
            />
          </Pem>
          <Pem
            id={ids.privateKey}
            label="Private key (PEM, unencrypted)"
            help={keyStored ? "A key is stored. Leave empty to keep it, or paste a new one to replace it." : undefined}
            error={errors?.privateKey?.message}
          >
            <SecretInput
              id={ids.privateKey}
              multiline
              invalid={Boolean(errors?.privateKey)}
              placeholder={keyStored ? "•••••••• (stored)" : "-----BEGIN PRIVATE KEY-----"}
              aria-invalid={errors?.privateKey ? true : undefined}
              {...form.register("clientCertificate.privateKey")}
            />
          </Pem>
          <Pem id={ids.ca} label="CA certificates to trust for the receiver (PEM, optional)" help="When the receiver's certificate is signed by a private CA; the usual public CAs stay trusted." error={errors?.ca?.message}>
            <textarea
              id={ids.ca}
              rows={3}
              spellCheck={false}
              placeholder="-----BEGIN CERTIFICATE-----"
              aria-invalid={errors?.ca ? true : undefined}
              className="w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-xs"
              {...form.register("clientCertificate.ca")}
            />
          </Pem>
        </div>
      )}
    </div>
  );
}

function Pem({ id, label, help, error, children }: { id: string; label: string; help?: string; error?: string; children: React.ReactNode }) {
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-sm font-medium text-slate-700">
        {label}
      </label>
      {children}
      {help && <p className="text-xs text-slate-500">{help}</p>}
      {error && <p className="text-xs font-medium text-red-600">{error}</p>}
    </div>
  );
}

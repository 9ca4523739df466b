import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { createSecureContext } from "node:tls";
import type { FieldIssue } from "../errors";
import { isEncrypted, type SecretBox } from "../secrets";
import type { ClientCertificateInput, ClientCertificateView } from "./client-certificate";

/** A client certificate as a site row keeps it: the key encrypted, the certificate's facts read once at save. */
export interface StoredClientCertificate {
  certificate: string;
  privateKey: string;
  ca: string;
  subject: string;
  issuer: string;
  validTo: string;
  fingerprint256: string;
}

const at = (field: string, message: string): FieldIssue => ({ path: ["clientCertificate", field], message });

/**
 * The certificate to store for what was entered, or the issues that refuse it: the URL must be
 * https, the certificate PEM that parses and is valid now, the key (entered, or the stored one when
 * left blank) an unencrypted PEM key of that certificate, the CA bundle PEM that parses.
 */
export function clientCertificateToStore(
  entered: ClientCertificateInput | null,
  stored: StoredClientCertificate | null,
  url: string,
  box: SecretBox,
  now = new Date(),
): { clientCertificate: StoredClientCertificate | null; issues: FieldIssue[] } {
  if (!entered) return { clientCertificate: null, issues: [] };
  const issues: FieldIssue[] = [];
  if (!url.startsWith("https://")) issues.push(at("certificate", "A client certificate is only sent over TLS: the URL must start with https://"));
  let certificate: X509Certificate | null = null;
  try {
    certificate = new X509Certificate(entered.certificate);
  } catch {
    issues.push(at("certificate", "Certificate must be a PEM certificate (-----BEGIN CERTIFICATE-----)"));
  }
  if (certificate && new Date(certificate.validTo) <= now) issues.push(at("certificate", `The certificate expired on ${new Date(certificate.validTo).toISOString()}`));
  if (certificate && new Date(certificate.validFrom) > now) issues.push(at("certificate", `The certificate is not valid before ${new Date(certificate.validFrom).toISOString()}`));

  const keyPem = entered.privateKey !== "" ? entered.privateKey : stored && isEncrypted(stored.privateKey) ? box.decrypt(stored.privateKey) : "";
  let key: KeyObject | null = null;
  if (keyPem === "") issues.push(at("privateKey", "Private key is required"));
  else {
    try {
      key = createPrivateKey({ key: keyPem, format: "pem" });
    } catch {
      issues.push(at("privateKey", "Private key must be an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----)"));
    }
  }
  if (certificate && key && !certificate.checkPrivateKey(key)) {
    issues.push(at("privateKey", entered.privateKey === "" ? "The stored private key does not belong to this certificate: paste the new certificate's key" : "This private key does not belong to the certificate"));
  }
  if (entered.ca !== "") {
    try {
      createSecureContext({ ca: entered.ca });
      new X509Certificate(entered.ca);
    } catch {
      issues.push(at("ca", "CA certificates must be PEM certificates (-----BEGIN CERTIFICATE-----)"));
    }
  }
  if (issues.length > 0 || !certificate) return { clientCertificate: null, issues };
  return {
    clientCertificate: {
      certificate: entered.certificate,
      privateKey: entered.privateKey !== "" ? box.encrypt(entered.privateKey) : stored!.privateKey,
      ca: entered.ca,
      subject: certificate.subject.replaceAll("\n", ", "),
      issuer: certificate.issuer.replaceAll("\n", ", "),
      validTo: new Date(certificate.validTo).toISOString(),
      fingerprint256: certificate.fingerprint256,
    },
    issues: [],
  };
}

export function clientCertificateView(stored: StoredClientCertificate | null): ClientCertificateView | null {
  if (!stored) return null;
  const { privateKey, ...shown } = stored;
  return { ...shown, privateKeySet: isEncrypted(privateKey) };
}

/** The form's values for a stored certificate: the key blank, which keeps it. */
export function clientCertificateEntry(stored: StoredClientCertificate | null): ClientCertificateInput | null {
  return stored && { certificate: stored.certificate, privateKey: "", ca: stored.ca };
}

/** Whether storing `next` changes what is sent. */
export function clientCertificateChanged(before: StoredClientCertificate | null, next: StoredClientCertificate | null): boolean {
  return before?.fingerprint256 !== next?.fingerprint256 || before?.privateKey !== next?.privateKey || before?.ca !== next?.ca;
}

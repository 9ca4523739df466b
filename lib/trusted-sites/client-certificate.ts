import { z } from "zod";

/*
 * A site's client certificate for mutual TLS, as the form and the API send it (client-safe). The
 * private key is a secret: stored encrypted, never sent back, and a blank key on an edit keeps the
 * stored one. The server checks the rest (stored-client-certificate.ts): PEM that parses, the key
 * belongs to the certificate, the certificate is valid now, the site's URL is https.
 */
const pem = (label: string) =>
  z
    .string({ error: `${label} is required` })
    .trim()
    .max(20_000, `${label} is at most 20,000 characters`);

export const clientCertificateSchema = z
  .object({
    certificate: pem("Certificate").min(1, "Certificate is required"),
    // Not trimmed beyond PEM's own whitespace: blank means the stored key.
    privateKey: pem("Private key").default(""),
    ca: pem("CA certificates").default(""),
  })
  .nullable()
  .default(null);

export type ClientCertificateInput = NonNullable<z.output<typeof clientCertificateSchema>>;

/** What the site page and the edit form get back: the public parts, never the key. */
export interface ClientCertificateView {
  certificate: string;
  ca: string;
  subject: string;
  issuer: string;
  validTo: string;
  fingerprint256: string;
  privateKeySet: boolean;
}

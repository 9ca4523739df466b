import type { FieldIssue } from "../errors";
import { isEncrypted, type SecretBox } from "../secrets";
import type { ExtraHeader } from "./request-shape";

/*
 * Extra headers as a site row keeps them (`trusted_sites.headers`): plain ones as entered, secret
 * ones with their value encrypted. Rows written before secret headers existed have no `secret`.
 */
export type StoredHeader = { name: string; value: string; secret?: boolean };

const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * The headers to store for what was entered: secret values encrypted, a blank secret value taken from
 * the stored secret header of the same name (an edit form never gets it back). A blank secret with
 * nothing stored is an issue at its value.
 */
export function headersToStore(entered: readonly ExtraHeader[], stored: readonly StoredHeader[], box: SecretBox): { headers: StoredHeader[]; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const headers = entered.map((header, i): StoredHeader => {
    if (!header.secret) return { name: header.name, value: header.value, secret: false };
    if (header.value !== "") return { name: header.name, value: box.encrypt(header.value), secret: true };
    const kept = stored.find((s) => s.secret && sameName(s.name, header.name) && isEncrypted(s.value));
    if (!kept) issues.push({ path: ["headers", String(i), "value"], message: "Header value is required" });
    return { name: header.name, value: kept?.value ?? "", secret: true };
  });
  return { headers, issues };
}

/** The headers as they may leave the server: secret values blank. */
export function headerViews(stored: readonly StoredHeader[]): ExtraHeader[] {
  return stored.map((h) => ({ name: h.name, value: h.secret ? "" : h.value, secret: h.secret === true }));
}

/** Name → value of the plain headers, lower-case names. */
export function plainHeaders(stored: readonly StoredHeader[]): Record<string, string> {
  return Object.fromEntries(stored.filter((h) => !h.secret).map((h) => [h.name.toLowerCase(), h.value]));
}

/** Name → decrypted value of the secret headers, lower-case names; throws when one does not decrypt. */
export function openSecretHeaders(stored: readonly StoredHeader[], box: SecretBox): Record<string, string> {
  return Object.fromEntries(stored.filter((h) => h.secret).map((h) => [h.name.toLowerCase(), box.decrypt(h.value)]));
}

/** Whether storing `entered` changes what is sent: the visible parts, or a secret value typed anew. */
export function headersChanged(before: readonly StoredHeader[], entered: readonly ExtraHeader[]): boolean {
  const visible = (headers: readonly ExtraHeader[]) => JSON.stringify(headers.map((h) => [h.name, h.secret, h.secret ? "" : h.value]));
  return visible(headerViews(before)) !== visible(entered) || entered.some((h) => h.secret && h.value !== "");
}

/**
 * A test connection's result in an operator's words: what a real attempt would make of the answer,
 * and for a send that got none, what most likely went wrong and what to check. The delivery's own
 * error texts (send-request.ts) stay beside these, as the Logs would show them.
 */

export function describeStatus(status: number): string {
  if (status >= 200 && status < 300) return `The receiver accepted the test (${status}): a real attempt would be done.`;
  if (status >= 300 && status < 400) {
    return `The receiver answered ${status}, a redirect, which deliveries do not follow: a real attempt would fail. Use the URL it redirects to.`;
  }
  if (status === 401 || status === 403) {
    return `The receiver refused the credentials (${status}): a real attempt would fail and be retried. Check the authentication settings with the receiver's owner.`;
  }
  if (status >= 500) return `The receiver failed (${status}): a real attempt would fail and be retried.`;
  return `The receiver answered ${status}: a real attempt would fail and be retried.`;
}

const TLS_CODES: Record<string, string> = {
  CERT_HAS_EXPIRED: "the receiver's TLS certificate has expired",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the receiver's TLS certificate is self-signed",
  SELF_SIGNED_CERT_IN_CHAIN: "the receiver's TLS certificate chain ends in a self-signed certificate",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the receiver's TLS certificate cannot be verified (an intermediate certificate is missing?)",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the receiver's TLS certificate was issued by an authority this server does not trust",
  ERR_TLS_CERT_ALTNAME_INVALID: "the receiver's TLS certificate is for another host name",
  CERT_NOT_YET_VALID: "the receiver's TLS certificate is not valid yet",
};

/** `message` is a SendFailure's text ("no response within …", "connection failed (CODE)", a refused address). */
export function describeSendFailure(message: string, url: string, timeoutMs: number): string {
  const where = hostOf(url);
  if (message.startsWith("no response within ")) {
    return `The receiver at ${where} did not answer within the site's timeout (${timeoutMs} ms). A real attempt would fail and be retried.`;
  }
  if (message.startsWith("refused to connect")) {
    return `The app refused to connect: ${where} is a private, loopback or link-local address, which is not allowed unless ALLOW_PRIVATE_TARGETS lists it.`;
  }
  const code = /^connection failed \((.+)\)$/.exec(message)?.[1] ?? "";
  if (code === "ECONNREFUSED") return `Connection refused: nothing accepts connections at ${where}. Is the receiver running, and are the host and port right?`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `The host name of ${where} does not resolve. Check the URL for typos.`;
  if (code === "ECONNRESET" || code === "EPIPE" || /other side closed/i.test(code)) {
    return `The receiver at ${where} closed the connection without answering.`;
  }
  if (code === "ETIMEDOUT" || code === "EHOSTUNREACH" || code === "ENETUNREACH") {
    return `${where} cannot be reached from this server (${code}): a firewall, or the wrong address?`;
  }
  const tls = TLS_CODES[code];
  if (tls) return `The TLS (https) handshake with ${where} failed: ${tls}.`;
  if (/SSL|TLS|EPROTO/i.test(code)) return `The TLS (https) handshake with ${where} failed (${code}). Does the receiver speak https on this port?`;
  return `The request to ${where} failed without an answer (${message}).`;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "the site's URL";
  }
}

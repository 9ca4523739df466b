/**
 * Why an attempt could not succeed, by stage. Authorize- and send-stage failures are the receiver's
 * or the credentials' problem: they are recorded as failed attempts. A prepare-stage failure (the
 * site's stored parameters cannot be read) is ours: nothing was sent, so no attempt is used up.
 * Messages are written for the Logs and must never contain credentials.
 */
export class PrepareError extends Error {
  override name = "PrepareError";
  readonly stage = "prepare";
}

export class AuthorizeFailure extends Error {
  override name = "AuthorizeFailure";
  readonly stage = "authorize";
}

export class SendFailure extends Error {
  override name = "SendFailure";
  readonly stage = "send";
}

export type AttemptFailure = AuthorizeFailure | SendFailure;

/** A field-level problem, as the form shows it next to the field. */
export interface FieldIssue {
  path: (string | number)[];
  message: string;
}

/** An error the user is meant to see: a code, a plain message and the HTTP status it maps to. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues?: FieldIssue[],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends AppError {
  constructor(message: string) {
    super(400, "bad_request", message);
  }
}
export class UnauthorizedError extends AppError {
  constructor(message = "Sign in, or send an API token as `Authorization: Bearer <token>`") {
    super(401, "unauthorized", message);
  }
}
export class ForbiddenError extends AppError {
  constructor(message: string) {
    super(403, "forbidden", message);
  }
}
export class NotFoundError extends AppError {
  constructor(message: string) {
    super(404, "not_found", message);
  }
}
export class ConflictError extends AppError {
  constructor(message: string) {
    super(409, "conflict", message);
  }
}
export class PayloadTooLargeError extends AppError {
  constructor(limitBytes: number) {
    super(413, "payload_too_large", `The request body is larger than ${Math.round(limitBytes / 1024)} KB`);
  }
}
export class ValidationError extends AppError {
  constructor(issues: FieldIssue[]) {
    super(422, "invalid_input", "Some fields are invalid", issues);
  }
}

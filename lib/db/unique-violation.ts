import { ConflictError } from "../errors";

/** Turns a unique-constraint violation (23505) into a 409 with `message`; other errors pass through. */
export function rethrowUniqueViolation(message: string) {
  return (error: unknown): never => {
    const code = (error as { code?: string; cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code;
    if (code === "23505") throw new ConflictError(message);
    throw error;
  };
}

import { ConflictError } from "../errors";

/** Turns the unique-name violation into a 409 naming the site; other errors pass through. */
export function rethrowDuplicateName(name: string) {
  return (error: unknown): never => {
    const code = (error as { code?: string; cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code;
    if (code === "23505") throw new ConflictError(`A trusted site named "${name}" already exists`);
    throw error;
  };
}

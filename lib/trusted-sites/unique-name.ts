import { rethrowUniqueViolation } from "../db/unique-violation";

/** Turns the unique-name violation into a 409 naming the site; other errors pass through. */
export function rethrowDuplicateName(name: string) {
  return rethrowUniqueViolation(`A trusted site named "${name}" already exists`);
}

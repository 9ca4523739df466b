import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const BACKOFFICE = path.resolve("app/(backoffice)");
const pages = readdirSync(BACKOFFICE, { recursive: true, encoding: "utf8" }).filter((f) => /(^|\/)page\.tsx$/.test(f));

// The browser test (tests/e2e/access.test.ts) proves a forged cookie gets no data from each page;
// this one makes a page added later fail at once if it forgets the guard.
describe("every backoffice page checks the session itself", () => {
  it("finds the pages", () => expect(pages.length).toBeGreaterThanOrEqual(12));
  it.each(pages)("%s is wrapped in backofficePage", (page) => {
    const source = readFileSync(path.join(BACKOFFICE, page), "utf8");
    expect(source).toMatch(/^export default backofficePage\(/m);
    expect(source).not.toMatch(/^export default (async )?function/m);
  });
});

import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page } from "playwright-core";
import { TEST_ADMIN } from "./web-server";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Debian's Chromium, headless, with the flags this sandbox needs (no background networking). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Collects console errors and uncaught page errors, so a test can require there were none. */
export function watchForErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}

/** A browser context signed in as the test server's first user (through the sign-in API). */
export async function signedInContext(browser: Browser, baseUrl: string, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ ...options, baseURL: baseUrl });
  const response = await context.request.post("/api/auth/sign-in/email", {
    data: TEST_ADMIN,
    headers: { origin: baseUrl },
  });
  if (!response.ok()) throw new Error(`sign-in failed: ${response.status()} ${await response.text()}`);
  return context;
}

/**
 * Picks an option and waits for what it reveals. A choice made before React hydrated the form is
 * overwritten by hydration (the select shows it, the form state does not), so the pick is repeated
 * until the revealed part is there, as a user would pick again.
 */
export async function selectRevealing(select: Locator, value: string, revealed: Locator, timeout = 15_000): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    await select.selectOption(value);
    if (await revealed.waitFor({ timeout: 1_000 }).then(() => true, () => false)) return;
    if (Date.now() > deadline) throw new Error(`choosing "${value}" did not show ${revealed.toString()}`);
  }
}

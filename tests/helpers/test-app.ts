import type { Browser, BrowserContext, BrowserContextOptions } from "playwright-core";
import { launchBrowser, signedInContext } from "./browser";
import { createTestDatabase, type TestDatabase } from "./database";
import { startWebServer, type WebServer } from "./web-server";

/** The built app (`next start`) on a fresh test database of its own. */
export interface TestApp {
  database: TestDatabase;
  server: WebServer;
  /** Stops the server, then drops its database. */
  close(): Promise<void>;
}

/** A test app with a browser and a context signed in as the test server's first user. */
export interface BrowserApp extends TestApp {
  browser: Browser;
  context: BrowserContext;
  /** Closes the context and the browser, stops the server, then drops its database. */
  close(): Promise<void>;
}

/**
 * Starts the built app on a fresh test database (DATABASE_URL is set), with `env` added to the
 * server's environment. What was started is stopped again when a later step fails.
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  let server: WebServer;
  try {
    server = await startWebServer({ DATABASE_URL: database.url, ...env });
  } catch (error) {
    await database.drop();
    throw error;
  }
  return {
    database,
    server,
    async close() {
      await server.stop();
      await database.drop();
    },
  };
}

/**
 * startTestApp and a headless Chromium whose context is signed in (with `contextOptions`, e.g. a
 * time zone), as every browser test begins.
 */
export async function startBrowserApp(env: Record<string, string> = {}, contextOptions: BrowserContextOptions = {}): Promise<BrowserApp> {
  const browser = await launchBrowser();
  let app: TestApp;
  let context: BrowserContext;
  try {
    app = await startTestApp(env);
  } catch (error) {
    await browser.close();
    throw error;
  }
  try {
    context = await signedInContext(browser, app.server.url, contextOptions);
  } catch (error) {
    await browser.close();
    await app.close();
    throw error;
  }
  return {
    ...app,
    browser,
    context,
    async close() {
      await context.close();
      await browser.close();
      await app.close();
    },
  };
}

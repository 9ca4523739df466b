import { getDb } from "../db";
import { createBackofficeAuth, type BackofficeAuth } from "./auth";

const cache = globalThis as unknown as { tswAuth?: Promise<BackofficeAuth> };

/** The process's better-auth instance, bound to the application database. */
export function getBackofficeAuth(): Promise<BackofficeAuth> {
  cache.tswAuth ??= getDb()
    .then((db) => createBackofficeAuth(db))
    .catch((e) => {
      cache.tswAuth = undefined;
      throw e;
    });
  return cache.tswAuth;
}

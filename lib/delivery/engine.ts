import type { Database } from "../db";
import { readEnv, type Env } from "../env";
import { announceToLocalWorkers, type Announce } from "./announce";
import { enqueue, type EnqueuedMessage } from "./enqueue";

type Engine = Env["WEBHOOK_ENGINE"];

/** A message announced to an engine outside the database. */
export interface AnnouncedMessage {
  id: string;
  /** Its current attempt, when it may be past the first. */
  attemptNo?: number;
  /** Announced before for this attempt (a paused site's message, on activation). */
  again?: boolean;
}

/** How a new message reaches the engine that delivers it (DESIGN §5). */
export interface Announcer {
  /** Inside the transaction that writes the message: heard only if it commits. */
  inTransaction: Announce;
  /**
   * After the commit, for engines outside the database. Must not throw: the message is already
   * committed and answered for, and the engine's own sweep finds a message it never heard of.
   */
  afterCommit(messages: AnnouncedMessage[]): Promise<void>;
}

const nothing = async () => {};

const announcers = {
  local: { inTransaction: announceToLocalWorkers, afterCommit: nothing },
  // An event sent before the commit could start a run that finds no message, so it goes after.
  inngest: {
    inTransaction: nothing,
    afterCommit: async (messages) => (await import("../../inngest/request-delivery")).requestDelivery(messages),
  },
} satisfies Record<Engine, Announcer>;

/**
 * An announcer that only collects what was queued after the commit, for an Inngest step: the step
 * returns the ids and the function sends their events with step.sendEvent, so a replay sends them once.
 */
export function collectingAnnouncer(): { announcer: Announcer; queued: string[] } {
  const queued: string[] = [];
  return { announcer: { inTransaction: nothing, afterCommit: async (messages) => void queued.push(...messages.map((m) => m.id)) }, queued };
}

/**
 * Tells the configured engine that a message ended outside a delivery (it was cancelled), so runs
 * waiting for it continue. Local: nothing to do, the database trigger of migration 0009 notifies.
 * Never throws; Inngest's sweeper catches up on a wait whose event was lost.
 */
export async function announceMessageFinished(messageId: string, engine: Engine = readEnv().WEBHOOK_ENGINE): Promise<void> {
  if (engine === "inngest") await (await import("../../inngest/request-delivery")).announceMessageFinished(messageId);
}

/** The configured engine's announcer (WEBHOOK_ENGINE), for everything that queues messages. */
export function engineAnnouncer(engine: Engine = readEnv().WEBHOOK_ENGINE): Announcer {
  return announcers[engine];
}

/** Queues a message (enqueue) and announces it to the configured engine (WEBHOOK_ENGINE). */
export async function queueMessage(db: Database, input: unknown, engine: Engine = readEnv().WEBHOOK_ENGINE): Promise<EnqueuedMessage> {
  const announcer = engineAnnouncer(engine);
  const queued = await enqueue(db, input, announcer.inTransaction);
  if (queued.created) await announcer.afterCommit([{ id: queued.id }]);
  return queued;
}

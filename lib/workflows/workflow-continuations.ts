import type postgres from "postgres";
import type { Database } from "../db";
import { isDatabaseOutage, describeOutage } from "../delivery/database-outage";
import type { Announcer } from "../delivery/engine";
import { continueAfterMessage, continueStrandedRuns } from "./run-engine";

/** Fired by a trigger on webhook_messages (migration 0009) when a workflow's message ends, on commit. */
export const MESSAGE_FINISHED_CHANNEL = "workflow_message_finished";

export interface WorkflowContinuations {
  stop(): Promise<void>;
}

/**
 * Continues waiting workflow runs as their messages end (local engine): LISTEN, no polling. On every
 * (re)connect it first catches up on what ended while nobody listened, so a restart loses no run.
 * Several processes may listen: continuing a run locks it, and a finished wait is not taken twice.
 */
export function startWorkflowContinuations(options: { db: Database; sql: postgres.Sql; announcer: Announcer; log?: (line: string) => void }): WorkflowContinuations {
  const { db, sql, announcer } = options;
  const log = options.log ?? (() => {});
  let stopped = false;
  const report = (what: string) => (error: unknown) => log(`${what} failed (${describeOutage(error)})`);
  const onFinished = (messageId: string) => void continueAfterMessage(db, messageId, announcer).catch(report(`continuing the runs of message ${messageId}`));
  const catchUp = () =>
    void continueStrandedRuns(db, announcer)
      .then((n) => n > 0 && log(`continued ${n} workflow run step(s) that ended while nobody listened`))
      .catch(report("catching up on workflow runs"));
  const listening = (async () => {
    for (let pause = 250; !stopped; pause = Math.min(pause * 2, 5_000)) {
      try {
        return await sql.listen(MESSAGE_FINISHED_CHANNEL, onFinished, catchUp);
      } catch (error) {
        if (!isDatabaseOutage(error)) report("listening for finished workflow messages")(error);
        await new Promise((r) => setTimeout(r, pause));
      }
    }
    return undefined;
  })();
  return {
    async stop() {
      stopped = true;
      await (await listening)?.unlisten().catch(() => {});
    },
  };
}

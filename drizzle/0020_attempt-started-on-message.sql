ALTER TABLE "webhook_messages" ADD COLUMN "attempt_started_at" timestamp with time zone;--> statement-breakpoint
-- Room on each page for the claim's and the start's in-place (HOT) updates of a queued message
-- (drizzle-kit does not track storage parameters: hand-written, in the generated file).
ALTER TABLE "webhook_messages" SET (fillfactor = 50);

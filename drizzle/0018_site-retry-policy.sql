ALTER TABLE "webhook_attempts" DROP CONSTRAINT "webhook_attempts_attempt_no_range";--> statement-breakpoint
ALTER TABLE "webhook_messages" DROP CONSTRAINT "webhook_messages_attempts_range";--> statement-breakpoint
ALTER TABLE "trusted_sites" ADD COLUMN "retry_policy" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "trusted_sites" ADD COLUMN "failing_since" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "trusted_sites" ADD COLUMN "status_reason" text;--> statement-breakpoint
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_attempt_no_range" CHECK ("webhook_attempts"."attempt_no" between 1 and 20);--> statement-breakpoint
ALTER TABLE "webhook_messages" ADD CONSTRAINT "webhook_messages_attempts_range" CHECK ("webhook_messages"."attempts" between 0 and 20);
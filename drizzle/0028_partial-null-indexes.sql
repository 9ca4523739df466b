DROP INDEX "webhook_messages_resent_from_idx";--> statement-breakpoint
DROP INDEX "webhook_messages_site_idempotency_key";--> statement-breakpoint
CREATE INDEX "webhook_messages_resent_from_idx" ON "webhook_messages" USING btree ("resent_from_message_id") WHERE "webhook_messages"."resent_from_message_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_messages_site_idempotency_key" ON "webhook_messages" USING btree ("site_id","idempotency_key") WHERE "webhook_messages"."idempotency_key" is not null;
ALTER TABLE "site_leases" ALTER COLUMN "message_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "site_leases" ADD COLUMN "slot" smallint NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_attempts" ADD COLUMN "request" jsonb;--> statement-breakpoint
ALTER TABLE "webhook_messages" ADD COLUMN "locked_by" uuid;--> statement-breakpoint
CREATE UNIQUE INDEX "site_leases_site_slot_key" ON "site_leases" USING btree ("site_id","slot");
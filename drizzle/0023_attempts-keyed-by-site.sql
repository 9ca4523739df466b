ALTER TABLE "webhook_attempts" DROP CONSTRAINT "webhook_attempts_message_id_webhook_messages_id_fk";
--> statement-breakpoint
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_site_id_trusted_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."trusted_sites"("id") ON DELETE cascade ON UPDATE no action;
DROP INDEX "webhook_attempts_customer_idx";--> statement-breakpoint
DROP INDEX "webhook_attempts_status_idx";--> statement-breakpoint
DROP INDEX "webhook_attempts_action_idx";--> statement-breakpoint
CREATE INDEX "webhook_attempts_site_status_idx" ON "webhook_attempts" USING btree ("site_id","status","created_at","id","action");--> statement-breakpoint
CREATE INDEX "webhook_attempts_site_action_idx" ON "webhook_attempts" USING btree ("site_id","action","created_at","id","status");--> statement-breakpoint
CREATE INDEX "webhook_attempts_customer_idx" ON "webhook_attempts" USING btree ("customer_id","created_at","id","site_id","status","action");--> statement-breakpoint
CREATE INDEX "webhook_attempts_status_idx" ON "webhook_attempts" USING btree ("status","created_at","id","action");--> statement-breakpoint
CREATE INDEX "webhook_attempts_action_idx" ON "webhook_attempts" USING btree ("action","created_at","id","status");
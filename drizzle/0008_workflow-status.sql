ALTER TABLE "workflows" ADD COLUMN "description" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "workflows" ADD COLUMN "status" "workflow_status" DEFAULT 'draft' NOT NULL;--> statement-breakpoint
CREATE INDEX "workflows_active_trigger_idx" ON "workflows" USING btree ("trigger_event") WHERE "workflows"."status" = 'active';
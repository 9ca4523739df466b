CREATE INDEX "api_tokens_created_by_idx" ON "api_tokens" USING btree ("created_by");--> statement-breakpoint
CREATE INDEX "workflow_node_runs_message_idx" ON "workflow_node_runs" USING btree ("message_id") WHERE "workflow_node_runs"."message_id" is not null;--> statement-breakpoint
CREATE INDEX "workflow_runs_version_idx" ON "workflow_runs" USING btree ("version_id");--> statement-breakpoint
CREATE INDEX "workflow_runs_customer_idx" ON "workflow_runs" USING btree ("customer_id","started_at");
DROP INDEX "trusted_sites_name_key";--> statement-breakpoint
ALTER TABLE "trusted_sites" ADD COLUMN "http_method" text DEFAULT 'POST' NOT NULL;--> statement-breakpoint
ALTER TABLE "trusted_sites" ADD COLUMN "body_encoding" text DEFAULT 'json' NOT NULL;--> statement-breakpoint
ALTER TABLE "trusted_sites" ADD COLUMN "headers" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "trusted_sites" ADD COLUMN "workflow_id" uuid;--> statement-breakpoint
ALTER TABLE "trusted_sites" ADD COLUMN "workflow_node_id" text;--> statement-breakpoint
ALTER TABLE "trusted_sites" ADD CONSTRAINT "trusted_sites_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."workflows"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "trusted_sites_listed_name_key" ON "trusted_sites" USING btree ("name") WHERE "trusted_sites"."workflow_id" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "trusted_sites_workflow_node_key" ON "trusted_sites" USING btree ("workflow_id","workflow_node_id") WHERE "trusted_sites"."workflow_id" is not null;--> statement-breakpoint
ALTER TABLE "trusted_sites" ADD CONSTRAINT "trusted_sites_http_method" CHECK ("trusted_sites"."http_method" in ('POST', 'PUT'));--> statement-breakpoint
ALTER TABLE "trusted_sites" ADD CONSTRAINT "trusted_sites_body_encoding" CHECK ("trusted_sites"."body_encoding" in ('json', 'form'));
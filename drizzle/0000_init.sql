CREATE TYPE "public"."auth_method" AS ENUM('none', 'basic', 'aws', 'aws-s3', 'jwt', 'oauth2', 'oauth2-client-credentials', 'oauth2-jwt-private-key');--> statement-breakpoint
CREATE TYPE "public"."delivery_status" AS ENUM('queued', 'resent', 'done', 'failed');--> statement-breakpoint
CREATE TYPE "public"."site_status" AS ENUM('draft', 'active', 'inactive');--> statement-breakpoint
CREATE TABLE "customers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"email" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "site_leases" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "site_leases_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"site_id" uuid NOT NULL,
	"message_id" uuid NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "site_pacing" (
	"site_id" uuid PRIMARY KEY NOT NULL,
	"theoretical_arrival_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "trusted_sites" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"url" text NOT NULL,
	"content_type" text DEFAULT 'application/json' NOT NULL,
	"auth_method" "auth_method" DEFAULT 'none' NOT NULL,
	"auth_params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" "site_status" DEFAULT 'draft' NOT NULL,
	"rps" integer DEFAULT 10 NOT NULL,
	"threads" integer DEFAULT 1 NOT NULL,
	"timeout_ms" integer DEFAULT 10000 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "trusted_sites_rps_positive" CHECK ("trusted_sites"."rps" > 0),
	CONSTRAINT "trusted_sites_threads_positive" CHECK ("trusted_sites"."threads" > 0),
	CONSTRAINT "trusted_sites_timeout_positive" CHECK ("trusted_sites"."timeout_ms" > 0)
);
--> statement-breakpoint
CREATE TABLE "webhook_attempts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "webhook_attempts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"message_id" uuid NOT NULL,
	"site_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"action" text NOT NULL,
	"attempt_no" smallint NOT NULL,
	"status" "delivery_status" DEFAULT 'queued' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"scheduled_at" timestamp with time zone NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"response_code" integer,
	"duration_ms" integer,
	"error" text,
	"response_excerpt" text,
	CONSTRAINT "webhook_attempts_attempt_no_range" CHECK ("webhook_attempts"."attempt_no" between 1 and 5)
);
--> statement-breakpoint
CREATE TABLE "webhook_messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"site_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"action" text NOT NULL,
	"payload" jsonb NOT NULL,
	"content_hash" text NOT NULL,
	"idempotency_key" text,
	"status" "delivery_status" DEFAULT 'queued' NOT NULL,
	"attempts" smallint DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"locked_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "webhook_messages_attempts_range" CHECK ("webhook_messages"."attempts" between 0 and 5)
);
--> statement-breakpoint
CREATE TABLE "workflows" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"trigger_event" text NOT NULL,
	"definition" jsonb DEFAULT '{"nodes":[]}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "site_leases" ADD CONSTRAINT "site_leases_site_id_trusted_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."trusted_sites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "site_pacing" ADD CONSTRAINT "site_pacing_site_id_trusted_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."trusted_sites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_message_id_webhook_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."webhook_messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_messages" ADD CONSTRAINT "webhook_messages_site_id_trusted_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."trusted_sites"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_messages" ADD CONSTRAINT "webhook_messages_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "customers_email_key" ON "customers" USING btree ("email");--> statement-breakpoint
CREATE INDEX "customers_name_idx" ON "customers" USING btree ("name");--> statement-breakpoint
CREATE INDEX "site_leases_site_expires_idx" ON "site_leases" USING btree ("site_id","expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "trusted_sites_name_key" ON "trusted_sites" USING btree ("name");--> statement-breakpoint
CREATE INDEX "trusted_sites_status_idx" ON "trusted_sites" USING btree ("status");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_attempts_message_attempt_key" ON "webhook_attempts" USING btree ("message_id","attempt_no");--> statement-breakpoint
CREATE INDEX "webhook_attempts_created_idx" ON "webhook_attempts" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "webhook_attempts_site_idx" ON "webhook_attempts" USING btree ("site_id","created_at","id");--> statement-breakpoint
CREATE INDEX "webhook_attempts_customer_idx" ON "webhook_attempts" USING btree ("customer_id","created_at","id");--> statement-breakpoint
CREATE INDEX "webhook_attempts_status_idx" ON "webhook_attempts" USING btree ("status","created_at","id");--> statement-breakpoint
CREATE INDEX "webhook_attempts_action_idx" ON "webhook_attempts" USING btree ("action","created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_messages_site_idempotency_key" ON "webhook_messages" USING btree ("site_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "webhook_messages_due_idx" ON "webhook_messages" USING btree ("next_attempt_at") WHERE "webhook_messages"."status" in ('queued', 'resent');--> statement-breakpoint
CREATE INDEX "webhook_messages_in_flight_idx" ON "webhook_messages" USING btree ("created_at","id") WHERE "webhook_messages"."status" in ('queued', 'resent');--> statement-breakpoint
CREATE INDEX "webhook_messages_site_idx" ON "webhook_messages" USING btree ("site_id","created_at");--> statement-breakpoint
CREATE INDEX "webhook_messages_customer_idx" ON "webhook_messages" USING btree ("customer_id","created_at");--> statement-breakpoint
CREATE INDEX "webhook_messages_finished_idx" ON "webhook_messages" USING btree ("finished_at") WHERE "webhook_messages"."finished_at" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "workflows_name_key" ON "workflows" USING btree ("name");
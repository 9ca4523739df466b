-- Custom SQL migration file, put your code below! --
-- webhook_attempts becomes a table partitioned by day of created_at (UTC), so the retention purge drops
-- whole days instead of deleting rows (docs/design.md "Attempts are partitioned by day"). drizzle-kit
-- cannot express partitioning: the columns, keys and indexes below are the ones lib/db/schema.ts
-- declares (drizzle/meta/0020_snapshot.json), the partitions are maintained by lib/db/attempt-partitions.ts.
-- Existing rows are copied: the old table is renamed, the new one created, the rows moved, the old one dropped.
ALTER TABLE "webhook_attempts" RENAME TO "webhook_attempts_unpartitioned";--> statement-breakpoint
ALTER SEQUENCE "webhook_attempts_id_seq" RENAME TO "webhook_attempts_unpartitioned_id_seq";--> statement-breakpoint
DROP INDEX "webhook_attempts_message_attempt_key";--> statement-breakpoint
DROP INDEX "webhook_attempts_created_idx";--> statement-breakpoint
DROP INDEX "webhook_attempts_site_idx";--> statement-breakpoint
DROP INDEX "webhook_attempts_site_status_idx";--> statement-breakpoint
DROP INDEX "webhook_attempts_site_action_idx";--> statement-breakpoint
DROP INDEX "webhook_attempts_customer_idx";--> statement-breakpoint
DROP INDEX "webhook_attempts_status_idx";--> statement-breakpoint
DROP INDEX "webhook_attempts_action_idx";--> statement-breakpoint
CREATE TABLE "webhook_attempts" (
	"id" bigint GENERATED ALWAYS AS IDENTITY (sequence name "webhook_attempts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1) NOT NULL,
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
	"request" jsonb,
	CONSTRAINT "webhook_attempts_attempt_no_range" CHECK ("webhook_attempts"."attempt_no" between 1 and 20)
) PARTITION BY RANGE ("created_at");--> statement-breakpoint
-- Rows no partition covers (a day not created ahead, a clock far off) land here, so an insert never fails.
CREATE TABLE "webhook_attempts_default" PARTITION OF "webhook_attempts" DEFAULT;--> statement-breakpoint
-- One partition per UTC day from the oldest row still within the retention (90 days) to 7 days ahead;
-- older rows go to the default partition, where the purge deletes them.
DO $$
DECLARE
  today date := (now() AT TIME ZONE 'UTC')::date;
  first_day date;
  d date;
BEGIN
  SELECT greatest(coalesce(min(created_at AT TIME ZONE 'UTC')::date, today), today - 90) INTO first_day
  FROM "webhook_attempts_unpartitioned";
  d := least(first_day, today);
  WHILE d <= today + 7 LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF "webhook_attempts" FOR VALUES FROM (%L) TO (%L)',
      'webhook_attempts_' || to_char(d, 'YYYYMMDD'), to_char(d, 'YYYY-MM-DD') || ' 00:00:00+00',
      to_char(d + 1, 'YYYY-MM-DD') || ' 00:00:00+00');
    d := d + 1;
  END LOOP;
END $$;--> statement-breakpoint
INSERT INTO "webhook_attempts" OVERRIDING SYSTEM VALUE
SELECT "id", "message_id", "site_id", "customer_id", "action", "attempt_no", "status", "created_at", "scheduled_at",
  "started_at", "finished_at", "response_code", "duration_ms", "error", "response_excerpt", "request"
FROM "webhook_attempts_unpartitioned";--> statement-breakpoint
SELECT setval('"webhook_attempts_id_seq"', coalesce((SELECT max("id") FROM "webhook_attempts_unpartitioned"), 0) + 1, false);--> statement-breakpoint
DROP TABLE "webhook_attempts_unpartitioned";--> statement-breakpoint
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_id_created_at_pk" PRIMARY KEY("id","created_at");--> statement-breakpoint
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_message_id_webhook_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."webhook_messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_attempts_message_attempt_idx" ON "webhook_attempts" USING btree ("message_id","attempt_no");--> statement-breakpoint
CREATE INDEX "webhook_attempts_created_idx" ON "webhook_attempts" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "webhook_attempts_site_idx" ON "webhook_attempts" USING btree ("site_id","created_at","id");--> statement-breakpoint
CREATE INDEX "webhook_attempts_site_status_idx" ON "webhook_attempts" USING btree ("site_id","status","created_at","id","action");--> statement-breakpoint
CREATE INDEX "webhook_attempts_site_action_idx" ON "webhook_attempts" USING btree ("site_id","action","created_at","id","status");--> statement-breakpoint
CREATE INDEX "webhook_attempts_customer_idx" ON "webhook_attempts" USING btree ("customer_id","created_at","id","site_id","status","action");--> statement-breakpoint
CREATE INDEX "webhook_attempts_status_idx" ON "webhook_attempts" USING btree ("status","created_at","id","action");--> statement-breakpoint
CREATE INDEX "webhook_attempts_action_idx" ON "webhook_attempts" USING btree ("action","created_at","id","status");--> statement-breakpoint
ANALYZE "webhook_attempts";

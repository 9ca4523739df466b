CREATE TABLE "site_token_health" (
	"site_id" uuid PRIMARY KEY NOT NULL,
	"last_obtained_at" timestamp with time zone,
	"last_error_at" timestamp with time zone,
	"last_error" text,
	"last_error_status" smallint,
	"last_error_code" text,
	"refusal" text,
	"refused_at" timestamp with time zone,
	CONSTRAINT "site_token_health_refusal" CHECK ("site_token_health"."refusal" in ('needs_reauthorization', 'credentials_refused'))
);
--> statement-breakpoint
ALTER TABLE "site_token_health" ADD CONSTRAINT "site_token_health_site_id_trusted_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."trusted_sites"("id") ON DELETE cascade ON UPDATE no action;
ALTER TABLE "webhook_messages" DROP CONSTRAINT "webhook_messages_resent_from_message_id_webhook_messages_id_fk";
--> statement-breakpoint
ALTER TABLE "workflow_node_runs" DROP CONSTRAINT "workflow_node_runs_message_id_webhook_messages_id_fk";

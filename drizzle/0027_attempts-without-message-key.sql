ALTER TABLE "webhook_attempts" DROP CONSTRAINT "webhook_attempts_message_id_webhook_messages_id_fk";

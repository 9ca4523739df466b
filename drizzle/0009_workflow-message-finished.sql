-- A message made by a workflow node that ends (done or failed) wakes the runs waiting for it:
-- every path that finishes a message (worker, Inngest step, cancel) goes through this one UPDATE,
-- and NOTIFY is delivered only when the transaction commits.
CREATE FUNCTION notify_workflow_message_finished() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('workflow_message_finished', NEW.id::text);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER webhook_messages_workflow_finished
AFTER UPDATE OF status ON webhook_messages
FOR EACH ROW
WHEN (NEW.workflow_run_id IS NOT NULL AND NEW.status IN ('done', 'failed') AND OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION notify_workflow_message_finished();

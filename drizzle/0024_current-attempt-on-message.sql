-- The claim reads a message's current attempt off the message (attempts, attempt_started_at), no
-- longer off its attempt row. A send started by a version that marked the start on the attempt row
-- (before 0020) and not yet recorded gets that start on its message, so it is still taken over as
-- interrupted (attempts already counted it).
UPDATE "webhook_messages" m SET "attempt_started_at" = a."started_at"
FROM "webhook_attempts" a
WHERE a."message_id" = m."id" AND a."attempt_no" = m."attempts" AND a."status" = 'queued' AND a."started_at" IS NOT NULL
  AND m."status" IN ('queued', 'resent') AND m."attempt_started_at" IS NULL AND a."created_at" >= m."created_at";

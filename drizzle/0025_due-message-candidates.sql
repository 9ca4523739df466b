-- The claim's candidate scan (lib/delivery/claim-messages.ts): due messages, oldest due first, read
-- through webhook_messages_due_idx in its order and stopping at the cap. As a plain statement its
-- plan was made once per connection (a prepared statement) from the table's size at the time: on a
-- table that was small or not yet analysed, a bitmap scan of every due message and a sort, which a
-- backlog of 5,000 made ~1,000 buffers a claim, and (bitmap scans never mark dead index entries)
-- more with every message finished. Here the planner may choose neither a bitmap nor a sequential
-- scan, whatever the statistics say. PL/pgSQL keeps the plan per session.
-- Not claimed now, site active (else paused), and next in its customer's line where the site
-- delivers in order: the same tests as `unclaimed`, `siteSendable` and `nextInLine` in claim-messages.ts.
CREATE FUNCTION webhook_due_candidates(cap integer, skip_sites uuid[], skip_messages uuid[])
RETURNS TABLE (id uuid, site_id uuid, next_attempt_at timestamptz)
LANGUAGE plpgsql STABLE ROWS 100
SET enable_bitmapscan = off SET enable_seqscan = off
AS $$
BEGIN
  RETURN QUERY
  SELECT m.id, m.site_id, m.next_attempt_at FROM webhook_messages m
  WHERE m.status IN ('queued', 'resent') AND m.next_attempt_at <= now()
    AND (m.locked_until IS NULL OR m.locked_until <= clock_timestamp())
    AND m.site_id <> ALL (skip_sites) AND m.id <> ALL (skip_messages)
    AND m.site_id NOT IN (SELECT s.id FROM trusted_sites s WHERE s.status <> 'active')
    AND (m.site_id NOT IN (SELECT s.id FROM trusted_sites s WHERE s.ordered_per_customer)
      OR NOT EXISTS (
        SELECT 1 FROM webhook_messages e
        WHERE e.site_id = m.site_id AND e.customer_id = m.customer_id AND e.status IN ('queued', 'resent') AND e.id <> m.id
          AND ((e.created_at, e.id) < (m.created_at, m.id) OR e.locked_until > clock_timestamp())))
  ORDER BY m.next_attempt_at
  LIMIT cap;
END $$;

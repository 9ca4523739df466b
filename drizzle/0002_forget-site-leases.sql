-- Leases are transient (in-flight sends); the next migration gives each a thread slot, so none may be left.
DELETE FROM "site_leases";

-- The node whose attempt settled a source (its lease owner at that moment): the job records show
-- which process imported each source.
ALTER TABLE import_sources ADD COLUMN settled_by TEXT;

-- Aligned read sets: flagstat-style counts (JSON) and a note such as "not coordinate-sorted: no index".
ALTER TABLE read_sets ADD COLUMN statistics TEXT;
ALTER TABLE read_sets ADD COLUMN status_message TEXT;

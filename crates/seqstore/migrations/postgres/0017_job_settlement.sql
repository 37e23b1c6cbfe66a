-- Jobs not yet ended, by status (issue #28): a source's settlement no longer settles its job in the
-- same transaction (PostgreSQL's settlements of one job no longer wait for each other); the job is
-- settled just after, and a pass at start-up and once a minute settles a job whose last source
-- committed but whose own settlement did not (a crash in between): it reads the jobs not ended
-- through this index, not every job the server ever ran.
CREATE INDEX import_jobs_by_status_only ON import_jobs (status);

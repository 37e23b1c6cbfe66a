-- Export jobs (kind 'export') share the queue. The job's destination (`s3://bucket/prefix/`) is
-- shown by Get/ListReadSetExportJobs; a source's checkpoint is what its current attempt must have
-- undone if it is interrupted (an open multipart upload: its key and upload id), kept with the
-- lease so that the attempt taking over aborts it.
ALTER TABLE import_jobs ADD COLUMN destination TEXT;
ALTER TABLE import_sources ADD COLUMN checkpoint TEXT;

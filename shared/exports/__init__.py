"""CSV exports: the file format (:mod:`.csv_format`), planning and writing an export
(:mod:`.export`) and the scheduled export's job (:mod:`.scheduled`)."""

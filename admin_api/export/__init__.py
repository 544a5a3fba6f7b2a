"""Exports of conversations, messages and users as CSV, JSON, NDJSON and XLSX, streamed row by
row (sources.py reads with server-side cursors, writers.py turns rows into bytes, stream.py
feeds them to the HTTP response), or written to a file by a background job (jobs.py)."""

"""Beyond one process: what makes several ``flowai api`` replicas and ``flowai worker`` processes on
one PostgreSQL behave as one instance.

- ``notify``: one LISTEN connection and one NOTIFY connection per process (PostgreSQL pub/sub);
- ``fanout``: a run executing in one process streamed, replayed, watched and controlled (pause,
  resume, cancel) from any other, behind the run manager's event sink;
- ``queue_pg``: background runs on procrastinate (a maintained PostgreSQL job queue), with
  worker heartbeats as leases: a dead worker's runs are taken over from their last finished node;
- ``counters``: rate-limit counters shared by every process (atomic upserts).

The embedded default (SQLite, one process) uses none of it: the in-process queue and counters
sit behind the same interfaces.
"""

"""Execute a queued run by its id, in whichever process a queue hands it to: claim it, resume it
from its last finished node (their outputs are reused, never recomputed), wait for its end.

Used by ``flowai worker`` (flowai.scale.queue_pg) for a new run, a run whose worker died (its
lease expired) and a run a stopping worker handed back."""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.engine import Engine

from flowai.errors import FlowAIError
from flowai.runs.callbacks import Callbacks
from flowai.runs.manager import RUNNER, RunManager
from flowai.workflows.store import Workflows
from storage import queries
from storage.db import session
from storage.models import Run, utcnow

log = logging.getLogger("flowai.runs")
CLAIM = text(
    "UPDATE runs SET runner = :runner, status = CASE WHEN status = 'pending' THEN 'running' ELSE status END "
    "WHERE id = :id AND status IN ('pending', 'running') RETURNING id"
)


async def execute_queued(
    run_id: str, *, db: Engine, manager: RunManager, workflows: Workflows, callbacks: Callbacks
) -> str:
    """Run it here to its end; its final status, ``interrupted`` (this process is stopping: hand it
    back to the queue) or ``skipped`` (paused, ended or cancelled meanwhile: nothing to do)."""
    if manager.closing:
        return "interrupted"
    if manager.get(run_id) is not None:
        return "skipped"
    with session(db) as s:
        claimed = s.execute(CLAIM, {"id": run_id, "runner": RUNNER}).first()
        run = s.get(Run, run_id) if claimed else None
        # finished here, or reused from an earlier run (a regeneration): never computed again
        done = [n for n in queries.run_nodes(s, run_id=run_id) if n.status in ("completed", "reused")] if run else []
        s.commit()
    if run is None:
        return "skipped"
    try:
        graph = workflows.ran(run)
    except FlowAIError as exc:
        manager.recorder.status(
            run_id,
            {
                "status": "failed",
                "finished_at": utcnow(),
                "error": {"code": 50001, "message": f"The run could not be started: {exc.message}", "node": None},
            },
        )
        return "failed"
    if done:
        log.info("run %s taken over after %d finished nodes", run_id, len(done))
    handle = manager.resubmit(graph, run, done)
    if run.callback_url:
        callbacks.attach(handle, run.callback_url)
    await handle.wait()
    return handle.status

"""Exports started from the web run off the request, and record their progress as they go.

``start`` records a queued ``ExportRun`` and hands the work to a small pool of threads in the web
process, so a large export never holds a web worker: the request returns at once, and the status
page reads the run's stage and row counts from the database (each thread has its own app context
and so its own database session; the slowest file format is written by a worker process anyway,
see ``background``). At most ``WORKERS`` exports run at once per process; more wait as "queued".

Under test (``TESTING``) an export runs inline, before the request returns, so tests see a
finished run without waiting; set ``FEEDBACK_EXPORTS_IN_BACKGROUND`` to True (or False) in the
app's config to choose either way, and ``wait_for_exports`` waits for every background run.

A failure is recorded on the run in words for whoever may see it: an ``ExportError``'s message
(or its ``public_message`` when the message names server settings only an admin can change), a
full disk as a full disk, anything unexpected as "see the server's log" (and logged in full).
"""
from __future__ import annotations

import errno
import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app

from ..extensions import db
from ..staff.models import StaffUser
from ..timeutil import utcnow
from .models import ExportRun
from .profile import Profile
from .runner import ExportError, run_export

log = logging.getLogger(__name__)

#: Exports run at once by one process; a run started beyond this waits its turn ("queued").
WORKERS = 2
#: An unfinished run with no progress for this long was cut off (its process stopped or restarted).
SILENT_FOR = timedelta(hours=6)

DISK_FULL = ("The disk is full: the export stopped and nothing of it was kept. Ask an administrator to free "
             "space on the server (old exports are deleted after the retention limit), then run it again.")
NOT_WRITTEN = ("The export could not be written to the server's disk ({reason}); nothing of it was kept. "
               "Ask an administrator to check the export folder, then run it again.")
UNEXPECTED = ("The export failed unexpectedly and nothing of it was kept. The error is in the server's log "
              "for an administrator; tell them when you ran it.")
INTERRUPTED = ("The export was interrupted (the server restarted while it ran) and nothing of it was kept. "
               "Run it again.")

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_pid: int | None = None
_pending: set[Future] = set()


def export_folder() -> Path:
    """Where web exports are written: ``FEEDBACK_EXPORT_OUT``, or ``exports`` in the instance folder."""
    return Path(current_app.config.get("FEEDBACK_EXPORT_OUT", Path(current_app.instance_path) / "exports"))


def start(profile: Profile, user: StaffUser, out: Path | None = None) -> int:
    """Record a queued run of ``profile`` (its sites already narrowed to what ``user`` may export)
    and set it going; returns the run's id. The run is committed before any work starts."""
    run = ExportRun(profile_id=profile.id, profile_hash=profile.content_hash,
                    identifiable=profile.deidentification.identifiable,
                    site_codes=None if profile.sites == "all" else sorted(profile.sites), staff_id=user.id,
                    state="queued", stage="waiting to start")
    db.session.add(run)
    db.session.commit()
    app = current_app._get_current_object()
    out = out or export_folder()
    in_background = app.config.get("FEEDBACK_EXPORTS_IN_BACKGROUND", not app.testing)
    if in_background:
        _submit(app, run.id, profile, out)
    else:
        execute(app, run.id, profile, out)
    return run.id


def execute(app: Flask, run_id: int, profile: Profile, out: Path) -> None:
    """Run one recorded export to the end, in an app context (and database session) of its own,
    recording progress, the bundle or the failure on the run. Never raises."""
    with app.app_context():
        try:
            run = db.session.get(ExportRun, run_id)
            if run is None:
                return
            run.state, run.stage, run.updated_at = "running", "starting", utcnow()
            db.session.commit()
            actor = db.session.get(StaffUser, run.staff_id) if run.staff_id is not None else None
            bundle = run_export(profile, out, actor, progress=_recorder(run_id))
            run = db.session.get(ExportRun, run_id)
            run.state, run.stage, run.bundle = "done", "done", bundle.directory.name
            run.rows = sum(bundle.manifest["rows"].values())
            run.instruments_done = run.instruments_total
            run.finished_at = run.updated_at = utcnow()
            db.session.commit()
        except Exception as error:  # recorded on the run: the thread has nobody else to tell
            db.session.rollback()
            public, detail = describe_failure(error)
            if not isinstance(error, ExportError):  # a refusal is the researcher's to read; the rest, an admin's
                log.exception("export run %s of %s failed", run_id, profile.id)
            _fail(run_id, public, detail)
        finally:
            db.session.remove()


def _recorder(run_id: int):
    def record_progress(stage: str, done: int, total: int, rows: int) -> None:
        run = db.session.get(ExportRun, run_id)
        run.stage, run.instruments_done, run.instruments_total, run.rows = stage[:200], done, total, rows
        run.updated_at = utcnow()
        db.session.commit()
    return record_progress


def _fail(run_id: int, public: str, detail: str) -> None:
    try:
        run = db.session.get(ExportRun, run_id)
        if run is None:
            return
        run.state, run.stage, run.message = "failed", "failed", public
        run.admin_message = detail if detail != public else None
        run.finished_at = run.updated_at = utcnow()
        db.session.commit()
    except Exception:  # the database itself is failing: the log is all that is left
        db.session.rollback()
        log.exception("export run %s failed (%s) and the failure could not be recorded", run_id, detail)


def describe_failure(error: BaseException) -> tuple[str, str]:
    """What went wrong, in words for a researcher and (second) in full for an admin."""
    if isinstance(error, ExportError):
        return str(getattr(error, "public_message", error)), str(error)
    if disk_full(error):
        return DISK_FULL, f"{DISK_FULL} ({error})"
    if isinstance(error, OSError):
        reason = error.strerror or type(error).__name__
        return NOT_WRITTEN.format(reason=reason), NOT_WRITTEN.format(reason=error)
    return UNEXPECTED, f"{UNEXPECTED} ({type(error).__name__}: {error})"


def disk_full(error: BaseException | None) -> bool:
    """Whether ``error``, or an error it was raised from, is a full disk (or a full quota)."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, OSError) and (error.errno in (errno.ENOSPC, errno.EDQUOT)
                                           or "No space left on device" in str(error)):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def settle_interrupted(now=None) -> int:
    """Mark runs unfinished and silent for ``SILENT_FOR`` as failed (their process stopped); how many."""
    now = now or utcnow()
    stale = db.session.scalars(sa.select(ExportRun).where(ExportRun.state.in_(("queued", "running")),
                                                          ExportRun.updated_at < now - SILENT_FOR)).all()
    for run in stale:
        run.state, run.stage, run.message, run.finished_at = "failed", "interrupted", INTERRUPTED, now
    return len(stale)


def _submit(app: Flask, run_id: int, profile: Profile, out: Path) -> None:
    global _pool, _pool_pid
    with _lock:
        if _pool is None or _pool_pid != os.getpid():  # a forked worker does not inherit the threads
            _pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="export")
            _pool_pid = os.getpid()
        future = _pool.submit(execute, app, run_id, profile, out)
        _pending.add(future)
    future.add_done_callback(_finished)


def _finished(future: Future) -> None:
    with _lock:
        _pending.discard(future)


def wait_for_exports(timeout: float | None = None) -> bool:
    """Wait until every export started in this process has finished (tests, a clean shutdown);
    False if some were still running after ``timeout`` seconds."""
    with _lock:
        futures = list(_pending)
    _done, not_done = wait(futures, timeout)
    return not not_done

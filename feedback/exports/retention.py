"""Web exports are kept for downloading again for ``FEEDBACK_EXPORT_RETENTION_DAYS`` days after
they finish; then their folder and zip are deleted, the run is marked expired and the audit log
says so. Checked whenever the export page is shown or an export starts, and by
``flask export purge`` (for a cron job, so nothing outlives the limit on a quiet server).
"""
from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from ..audit.service import record
from ..extensions import db
from ..staff.models import Site
from ..timeutil import utcnow
from .jobs import SILENT_FOR, export_folder, settle_interrupted
from .models import ExportRun

log = logging.getLogger(__name__)


def retention_days() -> int:
    return current_app.config["FEEDBACK_SETTINGS"].export_retention_days


def expires_on(run: ExportRun) -> datetime | None:
    """When a finished run's files are deleted (None for a run that never made any)."""
    if run.finished_at is None or run.bundle is None:
        return None
    return run.finished_at + timedelta(days=retention_days())


def purge(now: datetime | None = None, out: Path | None = None) -> list[ExportRun]:
    """Delete the files of every run finished more than the retention limit ago, mark each expired
    and audit it ("export.expired"); returns those runs. Also settles runs cut off by a restart and
    removes half-built bundles they left behind. Commits."""
    now, out, days = now or utcnow(), out or export_folder(), retention_days()
    due = db.session.scalars(sa.select(ExportRun).where(ExportRun.state == "done",
                                                        ExportRun.finished_at < now - timedelta(days=days))).all()
    expired = []
    for run in due:
        # Claimed with a conditional update, so two requests purging at once audit it only once.
        claimed = db.session.execute(sa.update(ExportRun).where(ExportRun.id == run.id, ExportRun.state == "done")
                                     .values(state="expired", expired_at=now)).rowcount
        if not claimed:
            db.session.rollback()
            continue
        try:
            remove_bundle(out, run.bundle)
        except OSError:
            db.session.rollback()
            log.exception("could not delete export bundle %s (run %s) after its retention limit", run.bundle, run.id)
            continue
        # The owner's export expired; the audit's actor is the account that ran it.
        record("export.expired", run, site_of(run), run.staff_id, profile=run.profile_id, bundle=run.bundle,
               retention_days=days, finished_at=run.finished_at.isoformat(timespec="seconds"))
        db.session.commit()
        expired.append(run)
    if settle_interrupted(now):
        db.session.commit()
    _remove_leftovers(out, now)
    return expired


def remove_bundle(out: Path, bundle: str | None) -> None:
    """Delete a bundle's folder and zip (either may already be gone)."""
    if not bundle or "/" in bundle or "\\" in bundle or bundle.startswith("."):
        return
    folder = out / bundle
    if folder.is_dir():
        shutil.rmtree(folder)
    (out / f"{bundle}.zip").unlink(missing_ok=True)


def site_of(run: ExportRun) -> int | None:
    """The site an export covers, for the audit log's site column, when it covers exactly one."""
    if run.site_codes is None or len(run.site_codes) != 1:
        return None
    return db.session.scalar(sa.select(Site.id).where(Site.code == run.site_codes[0]))


def _remove_leftovers(out: Path, now: datetime) -> None:
    """Half-built bundles (hidden ``.….partial`` folders and files) that a stopped process left."""
    if not out.is_dir():
        return
    for path in out.glob(".*.partial"):
        try:
            if datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None) < now - SILENT_FOR:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        except OSError:
            log.warning("could not remove the leftover %s", path)

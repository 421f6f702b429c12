"""Publish instrument versions and refuse any published version whose file has changed."""
from __future__ import annotations

import json

import sqlalchemy as sa

from ..extensions import conflict_insert, db
from ..instruments import Catalogue, Instrument, Problem
from ..instruments.language_files import LanguageFile, extend_version
from ..instruments.loader import build_instrument
from ..instruments.wording import wording_hash
from ..timeutil import utcnow
from .models import InstrumentVersion, InstrumentWording


class PublishedVersionChanged(RuntimeError):
    """A published version's file no longer matches what was published."""


def changed_published_versions(catalogue: Catalogue) -> list[Problem]:
    """Problems for every published version whose file now hashes differently (or vanished)."""
    if not sa.inspect(db.engine).has_table(InstrumentVersion.__tablename__):
        return []  # nothing published yet: the database has not been created
    problems = []
    for row in db.session.scalars(sa.select(InstrumentVersion)):
        current = catalogue.instruments.get((row.instrument_id, row.version))
        if current is not None and current.content_hash != row.content_hash:
            problems.append(Problem(
                current.path, "",
                f"version {row.version} of '{row.instrument_id}' was published with hash "
                f"{row.content_hash[:12]}… and the file has changed since (now {current.content_hash[:12]}…). "
                f"A published version cannot change: restore the file and put your changes in a new "
                f"file, v{_next_version(catalogue, row.instrument_id)}.yaml.",
            ))
    return problems


def _next_version(catalogue: Catalogue, instrument_id: str) -> int:
    return max(version for (key, version) in catalogue.instruments if key == instrument_id) + 1


def verify_unchanged(catalogue: Catalogue) -> None:
    problems = changed_published_versions(catalogue)
    if problems:
        raise PublishedVersionChanged("\n".join(str(problem) for problem in problems))


def publish(instrument: Instrument) -> InstrumentVersion:
    """Return the published row for this version, publishing it now if it is new.

    Refuses (``PublishedVersionChanged``) when the version was published with other content.
    """
    lookup = sa.select(InstrumentVersion).filter_by(instrument_id=instrument.id, version=instrument.version)
    row = db.session.scalar(lookup)
    if row is None:
        # Insert-or-nothing, so two processes publishing the same version at once (parallel
        # dispatchers, two web workers) both end up with the one row instead of one failing.
        insert = conflict_insert(db.engine.dialect.name)(InstrumentVersion)
        db.session.execute(insert.values(
            instrument_id=instrument.id, version=instrument.version, content_hash=instrument.content_hash,
            # A JSON round-trip turns YAML dates into strings, as the JSON column would anyway.
            definition=json.loads(json.dumps(instrument.raw, default=str)), published_at=utcnow(),
        ).on_conflict_do_nothing(index_elements=["instrument_id", "version"]))
        row = db.session.scalar(lookup)
    if row.content_hash != instrument.content_hash:
        raise PublishedVersionChanged(
            f"{instrument.path}: version {instrument.version} of '{instrument.id}' was published with "
            f"different content; create a new version file instead of editing it.")
    if instrument.added_wording:
        publish_wordings(instrument)
    return row


def publish_wordings(instrument: Instrument) -> None:
    """Publish each language added by a language file, once per distinct wording."""
    wordings = {language: wording_hash(instrument, language) for language in instrument.added_wording}
    known = set(db.session.execute(
        sa.select(InstrumentWording.language, InstrumentWording.wording_hash)
        .where(InstrumentWording.instrument_id == instrument.id, InstrumentWording.version == instrument.version)).all())
    insert = conflict_insert(db.engine.dialect.name)(InstrumentWording)
    for language, digest in wordings.items():
        if (language, digest) not in known:
            db.session.execute(insert.values(
                instrument_id=instrument.id, version=instrument.version, language=language, wording_hash=digest,
                texts=dict(instrument.added_wording[language]), published_at=utcnow(),
            ).on_conflict_do_nothing(index_elements=["instrument_id", "version", "language", "wording_hash"]))


def published_instrument(content_hash: str, load_row) -> Instrument:
    """The instrument as published, with the languages added to it, whatever the files say today.

    The app's catalogue holds it when the version file is still there (the start-up guard makes
    it the published content); its added languages are published as responses are made in it.
    Otherwise it is built from the stored definition with the newest published wording of each
    added language, keyed by content hash: nothing more can be published for a version whose file
    has gone, so that never goes stale, and ``load_row`` runs once per process and version.
    """
    current = _in_catalogue(content_hash)
    if current is not None:
        return current
    instrument = _built.get(content_hash)
    if instrument is None:
        row: InstrumentVersion = load_row()
        instrument = build_instrument(row.definition, f"published {row.instrument_id} v{row.version}")
        instrument, _ = extend_version(instrument, _published_languages(instrument))
        _built[content_hash] = instrument
    return instrument


def _in_catalogue(content_hash: str) -> Instrument | None:
    from flask import current_app, has_app_context

    catalogue = current_app.extensions.get("feedback.catalogue") if has_app_context() else None
    return catalogue.by_content_hash(content_hash) if catalogue is not None else None


def _published_languages(instrument: Instrument) -> list[LanguageFile]:
    newest: dict[str, InstrumentWording] = {}
    for row in db.session.scalars(sa.select(InstrumentWording).where(
            InstrumentWording.instrument_id == instrument.id, InstrumentWording.version == instrument.version)
            .order_by(InstrumentWording.id)):
        newest[row.language] = row
    return [LanguageFile(language, instrument.languages[0], dict(row.texts), f"published {language} wording")
            for language, row in newest.items()]


_built: dict[str, Instrument] = {}

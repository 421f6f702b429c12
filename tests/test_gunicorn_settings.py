"""The gunicorn settings file the README tells a deployment to use: sync workers, one per CPU."""
import os

import pytest
from gunicorn.app.base import Application

from feedback import gunicorn_settings


class _Loaded(Application):
    """gunicorn's own loading of a ``-c python:…`` settings file, without starting a server."""

    def __init__(self, settings: str):
        self.settings_name = settings
        super().__init__(usage=None, prog=None)

    def init(self, parser, opts, args):
        return None

    def load_config(self):
        from gunicorn.config import Config

        self.cfg = Config()
        self.load_config_from_module_name_or_filename(self.settings_name)

    def load(self):  # pragma: no cover - never served
        raise AssertionError("not served")


@pytest.fixture(autouse=True)
def _settings_read_afresh_afterwards():
    yield
    import importlib

    importlib.reload(gunicorn_settings)


def _loaded(monkeypatch, **environ):
    for name in ("FEEDBACK_WORKERS", "FEEDBACK_BIND"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    import importlib

    importlib.reload(gunicorn_settings)  # the settings are read when gunicorn imports the module
    return _Loaded("python:feedback.gunicorn_settings").cfg


def test_gunicorn_reads_sync_workers_one_per_cpu_this_process_may_use(monkeypatch):
    cfg = _loaded(monkeypatch)
    assert cfg.worker_class_str == "sync"
    assert cfg.workers == len(os.sched_getaffinity(0))
    assert cfg.bind == ["127.0.0.1:8000"]


def test_the_worker_count_and_address_can_be_set(monkeypatch):
    cfg = _loaded(monkeypatch, FEEDBACK_WORKERS="3", FEEDBACK_BIND="0.0.0.0:9000")
    assert cfg.workers == 3
    assert cfg.bind == ["0.0.0.0:9000"]


@pytest.mark.parametrize("given", ["0", "-2", "two", "1.5"])
def test_a_worker_count_that_is_not_a_whole_number_from_1_is_refused_by_name(given):
    with pytest.raises(ValueError, match="FEEDBACK_WORKERS must be a whole number") as refused:
        gunicorn_settings.worker_count({"FEEDBACK_WORKERS": given})
    assert repr(given) in str(refused.value)


def test_the_count_follows_the_cpus_this_process_may_run_on_not_the_hosts(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert gunicorn_settings.worker_count({}) == 1

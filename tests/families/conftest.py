"""Fixtures the family pages' tests share: the staff scene and north's practitioner signed in."""
import pytest

from tests.staff.scene import build_scene, client_as


@pytest.fixture
def scene(app, world):
    return build_scene(app, world)


@pytest.fixture
def practitioner(app, world):
    return client_as(app, "practitioner_north")

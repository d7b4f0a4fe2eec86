"""Shared fixtures."""

from __future__ import annotations

import pytest

from analysis.config import load_study


@pytest.fixture(scope="session")
def study():
    return load_study()

"""Shared fixtures."""

from __future__ import annotations

import numpy as np
import pytest

from slopscope import RHM
from tests.tiny import GRAMMARS


@pytest.fixture(params=sorted(GRAMMARS), ids=sorted(GRAMMARS))
def grammar(request) -> RHM:
    return GRAMMARS[request.param]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)

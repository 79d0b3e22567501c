"""Shared fixtures."""

from __future__ import annotations

import numpy as np
import pytest

from slopscope import RHM
from slopscope.threads import DEFAULT_THREADS, use_threads
from tests.tiny import GRAMMARS

# the test process starts its work here: one thread, as every slopscope process
# (slopscope.threads); sweep workers it starts set their own
use_threads(DEFAULT_THREADS)


@pytest.fixture(params=sorted(GRAMMARS), ids=sorted(GRAMMARS))
def grammar(request) -> RHM:
    return GRAMMARS[request.param]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)

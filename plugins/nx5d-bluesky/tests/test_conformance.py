"""The adapter conformance suite on a real tiled server of Bluesky runs."""

from __future__ import annotations

import pytest
from nx5d_bluesky.sample import KEY, Server

import nx5d_core
from nx5d_core.testing.conformance import AdapterConformance


class TestConformance(AdapterConformance):
    @pytest.fixture
    def repository(self, server: Server) -> nx5d_core.Repository:
        return nx5d_core.open_repository(server.url, adapter="bluesky", api_key=KEY)

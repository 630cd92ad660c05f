"""The pluggy marker that plugins decorate their hook implementations with."""

import pluggy

hookimpl = pluggy.HookimplMarker("nx5d")

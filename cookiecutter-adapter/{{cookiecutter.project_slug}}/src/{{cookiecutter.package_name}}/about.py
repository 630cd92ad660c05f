"""What nx5d knows of this adapter before importing it: ``nx5d adapters`` and guessing stay
fast because nothing heavy (numpy, pandas, tifffile) is imported here.

A URL matching ``URL_PATTERNS``, or a root folder laid out as ``LAYOUT`` (a scan so in one of
its first proposal folders), is recognised as this adapter's without importing it.
"""

from __future__ import annotations

{% if cookiecutter.layout == "frame-series" -%}
LAYOUT = "/{proposal}/{scan}/frame_00000.tif"
{%- else -%}
LAYOUT = "/{proposal}/{scan}/counters.csv"
{%- endif %}
NAME = {{ cookiecutter.adapter_name|tojson }}
DESCRIPTION = {{ cookiecutter.description|tojson }}
URL_PATTERNS = ("*" + LAYOUT,)
VERSION = "0.1.0"


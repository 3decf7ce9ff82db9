"""``nncalc schema``: the JSON Schema of the spec format."""

from __future__ import annotations

import sys

from nncalc.cli.common import command


@command(
    "nncalc schema > nncalc.schema.json",
    "then put this first line in a spec, for an editor's YAML support:",
    "# yaml-language-server: $schema=./nncalc.schema.json",
)
def schema() -> None:
    """Print the JSON Schema of the spec format, for editors and other tools."""
    import json

    from nncalc.spec import json_schema

    sys.stdout.write(json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n")

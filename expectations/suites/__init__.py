"""Suites as code, one module per source: a suite named `<module>__<name>` lives in `expectations/suites/<module>.py`
in that module's `SUITES` dict. Each suite maps a control frame of the reader's `ReadResult` to its expectations.
GX is imported inside the suite functions: `import great_expectations` costs ~7 s.
"""

from __future__ import annotations

import importlib
from typing import Any

Suite = dict[str, list[Any]]


def build_suite(name: str, lecture: Any) -> Suite:
    module = importlib.import_module(f"expectations.suites.{name.split('__', 1)[0]}")
    return module.SUITES[name](lecture)

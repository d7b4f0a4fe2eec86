"""The agile codebook's second mapping: codes to the study's five areas of findings.

The engine's :func:`analysis.qda.load_codebook` reads the codes and their mapping to the aims
(``rq``); this module reads the ``findings_areas:`` list and each code's ``findings:`` (a child
code without one takes its parent's), and checks them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from analysis import paths
from analysis.errors import ConfigError
from analysis.qda import load_codebook


def load_findings_areas(path: Path | None = None) -> dict[str, str]:
    """The areas of findings: ``{"remote_norm": "Remote working is the norm", ...}``."""
    p = Path(path or paths.CODEBOOK)
    data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    areas = data.get("findings_areas")
    if not isinstance(areas, dict) or not areas:
        raise ConfigError(f"{p}: expected a `findings_areas:` mapping (area id: title).")
    return {str(k): str(v) for k, v in areas.items()}


def load_findings_map(path: Path | None = None) -> pd.DataFrame:
    """One row per (code, findings area): columns ``id, area``, in file order.

    Raises
    ------
    ConfigError
        A code names an area that is not under ``findings_areas:``; a code has no area and no
        parent to take one from; an area has no code.
    """
    p = Path(path or paths.CODEBOOK)
    codebook = load_codebook(p).drop_duplicates("id")  # the engine's checks first (ids, parents, aims)
    areas = load_findings_areas(p)
    data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    own: dict[str, list[str]] = {}
    for section in ("codes", "inductive"):
        for entry in data.get(section) or []:
            f = entry.get("findings")
            own[str(entry["id"]).strip()] = (
                [] if f is None else [str(x).strip() for x in (f if isinstance(f, list) else [f])]
            )
    parent = {c: (q if isinstance(q, str) else None) for c, q in zip(codebook["id"], codebook["parent"], strict=True)}

    def areas_of(code: str) -> list[str]:
        return own.get(code) or (areas_of(parent[code]) if parent.get(code) else [])

    rows = []
    for code in codebook["id"]:
        found = areas_of(code)
        if not found:
            raise ConfigError(f"{p}: code '{code}' has no `findings:` area and no parent to take one from.")
        unknown = [a for a in found if a not in areas]
        if unknown:
            raise ConfigError(
                f"{p}: code '{code}' names findings area(s) {unknown}, which are not under `findings_areas:` "
                f"({', '.join(areas)})."
            )
        rows += [{"id": code, "area": a} for a in found]
    frame = pd.DataFrame(rows, columns=["id", "area"]).astype("string")
    empty = [a for a in areas if a not in set(frame["area"])]
    if empty:
        raise ConfigError(f"{p}: findings area(s) {empty} have no code; map at least one code to each.")
    return frame

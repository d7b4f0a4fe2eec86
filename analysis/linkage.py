"""Linkage of workers across waves.

The paired (within-worker) change in write-up timeliness needs the same pseudonymised worker to
carry the same ``worker_id`` at every wave. A local authority may issue new pseudonyms for a new
extract; nothing in one wave's files shows it, but comparing the ids with the earlier waves'
does. :func:`linkage_warnings` says, in words an analyst can act on, when no worker of a wave
matches a worker of an earlier wave, or when fewer than half do; :func:`wave_linkage` reads the
earlier waves' workers files to find their ids. The warnings go to the validation summary
(``validation.json``, the validation page and ``make validate``); they quarantine nothing, since
every row may be valid on its own.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path

from analysis.config import Study
from analysis.errors import UnusableFileError
from analysis.load import find_source, read_table
from analysis.schemas import spec_for
from analysis.validate import check_table

PARTIAL = 0.5  # fewer than this share of a wave's workers found at an earlier wave is a warning


def linkage_warnings(wave: str, ids: Collection[str], earlier: Iterable[tuple[str, Collection[str]]]) -> list[str]:
    """Warnings for a wave whose workers do not link to an earlier wave's.

    Parameters
    ----------
    wave : str
        The wave being validated.
    ids : collection of str
        Its accepted worker ids.
    earlier : iterable of (wave, collection of str)
        Each earlier wave that has a workers table, with its accepted worker ids, in time order.

    Returns
    -------
    list of str
        One warning per earlier wave that no worker, or fewer than half the workers, of ``wave``
        match; empty when every comparison links well (or there is nothing to compare).

    Examples
    --------
    >>> linkage_warnings("interim", {f"X{i}" for i in range(21)}, [("baseline", {"W1", "W2"})])
    ['0 of 21 workers at interim match a worker at baseline: were the pseudonyms re-issued? The paired change from baseline cannot be estimated until the ids are linked (ask the local authority for the same pseudonyms as at baseline, or for a key between the two).']
    >>> linkage_warnings("interim", {"W1", "W2", "W3"}, [("baseline", {"W1", "W2", "W9"})])
    []
    >>> linkage_warnings("interim", {"W1", "W2", "W3", "W4"}, [("baseline", {"W1"})])[0][:63]
    '1 of 4 workers at interim (25%) match a worker at baseline: few'
    """  # noqa: E501
    here = {str(i) for i in ids}
    out: list[str] = []
    if not here:
        return out
    for name, theirs in earlier:
        there = {str(i) for i in theirs}
        if not there:
            continue
        matched = len(here & there)
        n = len(here)
        if matched == 0:
            out.append(
                f"0 of {n} workers at {wave} match a worker at {name}: were the pseudonyms re-issued? "
                f"The paired change from {name} cannot be estimated until the ids are linked (ask the local "
                f"authority for the same pseudonyms as at {name}, or for a key between the two)."
            )
        elif matched < PARTIAL * n:
            out.append(
                f"{matched} of {n} workers at {wave} ({matched / n:.0%}) match a worker at {name}: fewer than half, "
                f"so the paired change from {name} rests on {matched} worker{'s' if matched != 1 else ''}. Check "
                "with the local authority whether pseudonyms were re-issued for some workers."
            )
    return out


def accepted_worker_ids(folder: Path, study: Study) -> set[str] | None:
    """The accepted worker ids of a wave folder's workers file; ``None`` when there is none, or
    it cannot be used (that wave's own validation reports why)."""
    path = find_source(folder, "workers")
    if path is None:
        return None
    spec = spec_for("workers", study)
    try:
        checked = check_table(read_table(path, spec), spec)
    except UnusableFileError:
        return None
    return set(checked.accepted["worker_id"].astype(str))


def wave_linkage(wave: str, ids: Collection[str], folder: Path, study: Study) -> list[str]:
    """Linkage warnings for ``wave`` (accepted worker ``ids``, files in ``folder``) against every
    earlier wave of the study whose folder, beside ``folder``, holds a workers file.

    The earlier waves are read from the same parent folder (``data/raw/`` or ``data/synthetic/``),
    so real data are compared with real data only.
    """
    earlier = []
    for w in study.waves_up_to(wave)[:-1]:
        theirs = accepted_worker_ids(Path(folder).parent / w.id, study)
        if theirs is not None:
            earlier.append((w.id, theirs))
    return linkage_warnings(wave, ids, earlier)

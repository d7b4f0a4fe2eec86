"""Synthetic administrative data for the admin site's teams: ``workers.xlsx`` and ``visits.csv``.

The effects are drawn, not placed: each worker has a latent wish for a flexible pattern and a
personal write-up speed; taking up a pattern nudges the chance of a late write-up a little, and
workload varies by wave. Whether a threshold is met is left to the draw.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.config import Study
from analysis.qdpx_writer import write_workbook

PRE_LAUNCH_USERS = 2  # full-time social workers already on compressed hours before launch
STOP_CHANCE = 0.25  # chance that a spell under way at one wave has ended by the next


def _roster(study: Study, rng: np.random.Generator) -> pd.DataFrame:
    people = []
    n = 0
    for team in study.admin_site.teams:
        sizes = [("team manager", 1), ("assistant manager", 1), ("social worker", int(rng.integers(6, 8)))]
        for role, k in sizes:
            for _ in range(k):
                n += 1
                people.append(
                    {
                        "worker_id": f"W{rng.integers(1000, 9999)}{n:02d}",
                        "team": team,
                        "role": role,
                        "fte": float(rng.choice([1.0, 1.0, 1.0, 0.8, 0.6])),
                        "wish": float(rng.beta(2, 4)),  # latent wish for a compressed pattern
                        "pref9": bool(rng.random() < 0.6),  # prefers the 9-day fortnight
                        "leaves_after": int(rng.choice([99, 99, 99, 99, 99, 99, 99, 99, 99, 1])),
                    }
                )
    return pd.DataFrame(people)


def _draw_spells(study: Study, roster: pd.DataFrame, rng: np.random.Generator) -> list[dict]:
    """Every spell of the study period: a few pre-launch users, then, between one wave's cut date
    and the next, some take a pattern up (full-time staff, by their wish) and some stop."""
    launch = study.launch_date
    spells: list[dict] = []
    full_time_sw = roster.index[(roster["role"] == "social worker") & (roster["fte"] == 1.0)].tolist()
    for i in sorted(rng.choice(full_time_sw, min(PRE_LAUNCH_USERS, len(full_time_sw)), replace=False).tolist()):
        p = roster.loc[i]
        start = launch - dt.timedelta(days=int(rng.integers(90, 700)))
        spells.append({"who": i, "pattern": "9-day fortnight" if p.pref9 else "4-day week", "start": start})
    previous = launch
    for wave in study.waves:
        if wave.date <= launch:
            continue
        days = (wave.date - previous).days
        for i, p in roster.iterrows():
            mine = [sp for sp in spells if sp["who"] == i]
            ongoing = next((sp for sp in mine if sp.get("end") is None), None)
            if ongoing is None and not mine and p.fte == 1.0:
                if rng.random() < min(1.0, p.wish * (1.3 if wave.months_since_launch <= 3 else 0.5)):
                    start = previous + dt.timedelta(days=int(rng.integers(0, days)))
                    ongoing = {"who": i, "pattern": "9-day fortnight" if p.pref9 else "4-day week", "start": start}
                    spells.append(ongoing)
            if ongoing is not None and rng.random() < STOP_CHANCE:
                first = max(ongoing["start"], previous) + dt.timedelta(days=14)  # tried it for two weeks at least
                if first < wave.date:
                    ongoing["end"] = first + dt.timedelta(days=int(rng.integers(0, (wave.date - first).days)))
        _at_least_one_stopper(spells, previous, wave.date, launch, rng)
        previous = wave.date
    return spells


def _at_least_one_stopper(spells: list[dict], previous: dt.date, cut: dt.date, launch: dt.date, rng) -> None:
    """Make sure someone who took a pattern up stopped between ``previous`` and ``cut`` (the data
    must show stoppers, whom take-up counts and consistent use does not)."""
    if any(previous < sp.get("end", launch) <= cut for sp in spells if sp.get("end")):
        return
    can = [sp for sp in spells if sp.get("end") is None and launch <= sp["start"] <= cut - dt.timedelta(days=28)]
    if can:
        sp = can[int(rng.integers(0, len(can)))]
        first = max(sp["start"], previous) + dt.timedelta(days=14)
        sp["end"] = first + dt.timedelta(days=int(rng.integers(0, max(1, (cut - first).days))))


def simulate_workers(study: Study, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """Workers at every wave: a stable roster with a little turnover; a few already on compressed
    hours before launch; patterns taken up after launch, and some stopped again. The current
    pattern at each wave is the spell under way at its cut date (see :func:`simulate_spells`)."""
    return {w: t for w, (t, _) in simulate_admin(study, rng).items()}


def simulate_admin(study: Study, rng: np.random.Generator) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """Per wave: the workers table and the spells table, as the extract at its cut date shows them.

    A spell is listed when it started by the cut date and was in place at some time since launch;
    its end is shown only when it came by the cut date (a later end is not yet known).
    """
    roster = _roster(study, rng)
    spells = _draw_spells(study, roster, rng)
    out: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    for k, wave in enumerate(study.waves):
        rows, spell_rows = [], []
        for i, p in roster.iterrows():
            if k > p.leaves_after:
                continue
            pattern, start = "standard", None
            for sp in spells:
                if sp["who"] != i or sp["start"] > wave.date:
                    continue
                end = sp.get("end")
                if end is not None and end < study.launch_date:
                    continue
                known_end = end if end is not None and end <= wave.date else None
                spell_rows.append(
                    {"worker_id": p.worker_id, "pattern": sp["pattern"], "start": sp["start"], "end": known_end}
                )
                if known_end is None and (end is None or end >= wave.date):
                    pattern, start = sp["pattern"], sp["start"]
            planned = 0 if pattern == "standard" else (2 if pattern == "9-day fortnight" else 4)
            if planned:
                stick = 0.85 if wave.months_since_launch <= 3 else 0.7
                taken = int(rng.binomial(planned, stick))
            else:
                taken = 0
            rows.append(
                {
                    "worker_id": p.worker_id,
                    "team": p.team,
                    "role": p.role,
                    "fte": p.fte,
                    "working_pattern": pattern,
                    "pattern_start": start,
                    "planned_flex_days_last_month": planned,
                    "flex_days_taken_last_month": taken,
                }
            )
        spell_frame = pd.DataFrame(spell_rows, columns=["worker_id", "pattern", "start", "end"])
        out[wave.id] = (pd.DataFrame(rows), spell_frame.sort_values(["worker_id", "start"], kind="stable"))
    return out


def simulate_visits(
    workers: pd.DataFrame,
    wave_date: dt.date,
    wave_index: int,
    rng: np.random.Generator,
    n_visits: int | None = None,
    id_offset: int = 0,
) -> pd.DataFrame:
    """Case visits in the four weeks before ``wave_date``, for social workers and assistant managers."""
    staff = workers[workers["role"].isin(["social worker", "assistant manager"])].reset_index(drop=True)
    speed = {w: float(rng.normal(0, 0.6)) for w in staff["worker_id"]}  # stable per-worker speed
    per = rng.poisson(9, size=len(staff)) if n_visits is None else None
    if n_visits is not None:
        per = np.full(len(staff), n_visits // len(staff))
        per[: n_visits - per.sum()] += 1
    worker_col = np.repeat(staff["worker_id"].to_numpy(), per)
    flex_col = np.repeat(staff["working_pattern"].ne("standard").to_numpy(), per)
    total = len(worker_col)
    start = pd.Timestamp(wave_date) - pd.Timedelta(days=28)
    day = rng.integers(0, 28, total)
    minute = rng.integers(9 * 60, 17 * 60, total)
    visit = start + pd.to_timedelta(day, unit="D") + pd.to_timedelta(minute, unit="m")
    # hours to write up: log-normal around ~30h; workload shifts by wave, flex a small nudge
    base = np.array([speed[w] for w in worker_col]) if n_visits is None else rng.normal(0, 0.6, total)
    wave_shift = [0.0, 0.08, -0.05, 0.0][min(wave_index, 3)]
    mu = np.log(30) + base + wave_shift - 0.10 * flex_col
    hours = np.exp(rng.normal(mu, 0.55))
    writeup = visit + pd.to_timedelta(np.round(hours * 60), unit="m")
    outstanding = rng.random(total) < 0.03
    writeup_s = pd.Series(writeup.strftime("%Y-%m-%d %H:%M"))
    writeup_s[outstanding] = ""
    order = np.argsort(visit.to_numpy(), kind="stable")
    return pd.DataFrame(
        {
            "visit_id": [f"V{id_offset + i + 1:07d}" for i in range(total)],  # numbered in visit order
            "worker_id": worker_col[order],
            "visit_datetime": pd.Series(visit.strftime("%Y-%m-%d %H:%M")).to_numpy()[order],
            "writeup_datetime": writeup_s.to_numpy()[order],
        }
    )


def write_workers_xlsx(workers: pd.DataFrame, path: Path, spells: pd.DataFrame | None = None) -> None:
    """An Excel workbook as an LA would send it: the ``Workers`` sheet and, when given, the
    ``spells`` sheet (as in the data request workbook), with byte-stable output (fixed zip times)."""
    frame = workers.copy()
    frame["pattern_start"] = pd.to_datetime(frame["pattern_start"])
    sheets = {"Workers": frame}
    if spells is not None:
        sheets["spells"] = spells.assign(**{c: pd.to_datetime(spells[c]) for c in ("start", "end")})
    write_workbook(sheets, path)


def generate(root: Path, study: Study, seed: int, n_visits: int | None = None) -> list[Path]:
    """Write ``workers.xlsx`` and ``visits.csv`` for every wave under ``root/<wave>/``."""
    rng = np.random.default_rng(seed)
    admin = simulate_admin(study, rng)
    written = []
    offset = 0
    for k, wave in enumerate(study.waves):
        folder = Path(root) / wave.id
        folder.mkdir(parents=True, exist_ok=True)
        w, spells = admin[wave.id]
        write_workers_xlsx(w, folder / "workers.xlsx", spells)
        v = simulate_visits(w, wave.date, k, rng, None, offset)
        offset += len(v)
        v.to_csv(folder / "visits.csv", index=False, lineterminator="\n")
        written += [folder / "workers.xlsx", folder / "visits.csv"]
    return written


def large_visits(path: Path, n: int, seed: int = 1, chunk: int = 1_000_000, study: Study | None = None) -> Path:
    """A large visits file for benchmarks, and the workers table its visits belong to.

    Writes ``n`` data rows to ``path`` (a CSV in the delivery format: ``visit_id, worker_id,
    visit_datetime, writeup_datetime``, minutes, about 3% of write-ups outstanding) and a valid
    ``workers.csv`` beside it, so that every row validates. The columns are made and written
    with Arrow, a chunk at a time, so that ten million rows take seconds and little memory.

    Parameters
    ----------
    path : Path
        The visits file to write.
    n : int
        Number of visits (data rows).
    seed : int
        Seed of the random draws; the same seed gives the same bytes.
    chunk : int
        Rows made and written at a time.
    study : Study, optional
        Supplies the team and role names of the workers table (default: ``config/study.yml``).

    Returns
    -------
    Path
        ``path``.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    from analysis.config import load_study

    study = study or load_study()
    teams = list(study.admin_site.teams) or ["Team"]
    rng = np.random.default_rng(seed)
    n_workers = max(20, n // 1000)
    ids = pa.array([f"W{i:06d}" for i in range(n_workers)])
    start = np.datetime64("2021-02-01T00:00", "m")
    path = Path(path)
    columns = ("visit_id", "worker_id", "visit_datetime", "writeup_datetime")
    schema = pa.schema([(c, pa.string()) for c in columns])

    def minutes_text(offsets: np.ndarray) -> pa.Array:
        # format each distinct minute once (a few tens of thousands), then look the rows up
        lo = int(offsets.min())
        stamps = start + np.arange(lo, int(offsets.max()) + 1).astype("timedelta64[m]")
        table = pc.utf8_slice_codeunits(pa.array(stamps.astype("datetime64[s]")).cast(pa.string()), 0, 16)
        return pc.take(table, pa.array(offsets - lo))

    with open(path, "wb") as fh:
        fh.write((",".join(columns) + "\n").encode())
        with pacsv.CSVWriter(
            fh, schema, write_options=pacsv.WriteOptions(include_header=False, quoting_style="none")
        ) as writer:
            done = 0
            while done < n:
                k = min(chunk, n - done)
                worker = pc.take(ids, pa.array(rng.integers(0, n_workers, k)))
                visit = rng.integers(0, 28 * 24 * 60, k)
                writeup = visit + np.round(np.exp(rng.normal(np.log(30), 0.6, k)) * 60).astype("int64")
                outstanding = pa.array(rng.random(k) < 0.03)
                number = pa.array(np.arange(done + 1, done + k + 1)).cast(pa.string())
                writer.write_table(
                    pa.table(
                        [
                            pc.binary_join_element_wise("V", number, ""),
                            worker,
                            minutes_text(visit),
                            pc.if_else(outstanding, pa.scalar(None, pa.string()), minutes_text(writeup)),
                        ],
                        schema=schema,
                    )
                )
                done += k
    workers = pd.DataFrame(
        {
            "worker_id": ids.to_pylist(),
            "team": [teams[i % len(teams)] for i in range(n_workers)],
            "role": "social worker",
            "fte": 1.0,
            "working_pattern": "standard",
            "pattern_start": "",
            "planned_flex_days_last_month": 0,
            "flex_days_taken_last_month": 0,
        }
    )
    workers.to_csv(path.with_name("workers.csv"), index=False, lineterminator="\n")
    return path

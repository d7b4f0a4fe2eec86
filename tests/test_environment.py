"""pyproject.toml and environment.yml name the same packages at the same versions."""

import tomllib

import yaml

from tests.sandbox import REPO


def _pairs(specs):
    out = {}
    for s in specs:
        name, _, version = s.partition("==")
        assert version, f"{s!r} is not pinned to an exact version"
        out[name.strip().lower().replace("_", "-")] = version.strip()
    return out


def test_pyproject_and_environment_pin_the_same_packages():
    py = tomllib.loads((REPO / "pyproject.toml").read_text())
    deps = py["project"]["dependencies"] + [
        d for group in py["project"]["optional-dependencies"].values() for d in group
    ]
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert _pairs(deps) == _pairs(pip)
    assert "python=3.11" in env["dependencies"]


def test_gitignore_keeps_real_data_and_outputs_out():
    ignored = (REPO / ".gitignore").read_text().split()
    for entry in ("data/raw/", "_build/", "_output/", ".venv/"):
        assert entry in ignored

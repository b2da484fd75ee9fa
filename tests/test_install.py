"""Install and first run: version ranges (an existing torch 2.x is kept), exact versions in the
constraints file that make setup uses, Jupyter flags passed through."""

import subprocess
from pathlib import Path

import pytest
from packaging.requirements import Requirement

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parents[1]


def test_dependencies_are_ranges_and_constraints_pin_what_we_test():
    requirements = {Requirement(r).name: Requirement(r) for r in
                    tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    assert all("==" not in str(r.specifier) for r in requirements.values())
    for version in ("2.3.0", "2.4.1", "2.14.1"):  # 2.3.0: the floor tests/test_portability.py trains on
        assert requirements["torch"].specifier.contains(version)
    for version in ("2.2.2", "3.0.0"):  # 2.2.2 has no torch.amp.GradScaler: every run fails
        assert not requirements["torch"].specifier.contains(version)
    assert requirements["torchvision"].specifier.contains("0.18.0")  # torch 2.3's
    assert not requirements["torchvision"].specifier.contains("0.17.2")
    pins = dict(line.split("==") for line in (ROOT / "constraints.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    assert pins["torch"] == "2.14.1" and pins["torchvision"] == "0.29.1" and "python-pptx" in pins
    assert "-c constraints.txt" in (ROOT / "Makefile").read_text()
    assert "-c constraints.txt" in (ROOT / "environment.yml").read_text()


def test_make_notebooks_passes_jupyter_flags(tmp_path):
    # A stamp newer than pyproject.toml: STAMP=Makefile would make make remake its own Makefile (and so the
    # venv, even under -n) whenever pyproject.toml is newer than it.
    stamp = tmp_path / "installed"
    stamp.touch()
    dry = subprocess.run(["make", "-n", "notebooks", "JUPYTER_ARGS=--no-browser --allow-root", f"STAMP={stamp}"],
                         capture_output=True, text=True, cwd=ROOT)
    assert dry.returncode == 0 and "jupyter lab notebooks/ --no-browser --allow-root" in dry.stdout

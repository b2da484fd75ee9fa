"""Off this machine (issue 23, items 7 and 8): every module imports and ``--help`` answers where
there is no ``fcntl`` (Windows); where only a soft lock is to be had, a run is refused in one
sentence; and the torch floor that pyproject.toml declares trains and evaluates (a slow test,
given a Python with that floor: ``RESNET_STUDY_FLOOR_PYTHON``)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
WITHOUT_FCNTL = "import sys\nsys.modules['fcntl'] = None  # as on Windows: `import fcntl` fails\n"
IMPORT_ALL = WITHOUT_FCNTL + """import importlib, pkgutil, resnet_study
names = [m.name for m in pkgutil.walk_packages(resnet_study.__path__, 'resnet_study.')
         if not m.name.endswith('__main__')]  # __main__ runs the command line
for name in names:
    importlib.import_module(name)
print(len(names), 'modules')
from resnet_study.cli import main
main(['--help'])
"""


def python(code: str, *args, executable=sys.executable, timeout=300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([executable, "-W", "ignore", "-c", code, *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=env)


def test_every_module_imports_and_help_answers_without_fcntl():
    proc = python(IMPORT_ALL)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    count = int(proc.stdout.split()[0])
    assert count > 40 and "usage: resnet-study" in proc.stdout


def test_with_only_a_soft_lock_a_run_is_refused_in_one_sentence(cifar_dir, tmp_path):
    out = tmp_path / "run"
    proc = python(WITHOUT_FCNTL + "from resnet_study.cli import main\nsys.exit(main(sys.argv[1:]))",
                  "train", "--model", "cifar_resnet8", "--device", "cpu", "--iterations", "4", "--batch-size",
                  "32", "--data-dir", str(cifar_dir), "--out", str(out), "--no-download")
    said = [line for line in proc.stderr.splitlines() if not line.startswith("warning:")]  # the subset warning
    assert proc.returncode == 2 and len(said) == 1 and "soft lock" in said[0], proc.stderr
    assert not out.exists() or not list(out.iterdir())  # nothing trained, nothing written


def test_the_lock_holder_is_named_without_os_uname(tmp_path):
    """Windows has no os.uname: the holder's machine comes from platform.node()."""
    proc = python("import os, platform, sys\nfrom resnet_study.io import exclusive_lock, lock_holder\n"
                  "del os.uname\nwith exclusive_lock(sys.argv[1]) as mine:\n"
                  "    print(mine, lock_holder(sys.argv[1]) == f'process {os.getpid()} on {platform.node()}')",
                  str(tmp_path / "run.lock"))
    assert proc.returncode == 0 and proc.stdout.split() == ["True", "True"], proc.stderr


def floor(name: str) -> str:
    """The lowest version of ``name`` that pyproject.toml admits."""
    return re.search(rf'"{name}>=([\d.]+)', (ROOT / "pyproject.toml").read_text()).group(1)


@pytest.mark.slow
def test_the_declared_torch_floor_trains_and_evaluates(tmp_path):
    """Run by hand: RESNET_STUDY_FLOOR_PYTHON=/path/to/python make test-all, that python having the
    floor's torch and torchvision and the other dependencies (the README says how)."""
    floor_python = os.environ.get("RESNET_STUDY_FLOOR_PYTHON")
    if not floor_python:
        pytest.skip(f"RESNET_STUDY_FLOOR_PYTHON names no Python with torch {floor('torch')} and torchvision "
                    f"{floor('torchvision')} (README: Tests)")
    versions = python("import torch, torchvision\nprint(torch.__version__, torchvision.__version__)",
                      executable=floor_python)
    assert versions.returncode == 0, versions.stderr
    found = [Version(Version(v).base_version) for v in versions.stdout.split()]  # 2.3.0+cpu is 2.3
    assert found == [Version(floor("torch")), Version(floor("torchvision"))], versions.stdout
    data = tmp_path / "data"
    made = python("import sys\nsys.path.insert(0, 'tests')\nfrom pathlib import Path\n"
                  "from helpers import make_cifar_folder\nmake_cifar_folder(Path(sys.argv[1]))", str(data),
                  executable=floor_python)
    assert made.returncode == 0, made.stderr
    cli = "import sys\nfrom resnet_study.cli import main\nsys.exit(main(sys.argv[1:]))"
    run = tmp_path / "run"
    trained = python(cli, "train", "--model", "cifar_resnet8", "--device", "cpu", "--iterations", "20",
                     "--batch-size", "32", "--eval-every", "10", "--checkpoint-every", "10", "--data-dir", str(data),
                     "--out", str(run), "--no-download", "--set", "log_every=5", "milestones=15",
                     executable=floor_python, timeout=900)
    assert trained.returncode == 0, trained.stderr
    assert json.loads((run / "summary.json").read_text())["status"] == "done"
    evaluated = python(cli, "evaluate", "--model", "cifar_resnet8", "--weights", str(run / "checkpoint.pt"),
                       "--data-dir", str(data), "--out", str(tmp_path / "eval"), "--device", "cpu",
                       executable=floor_python, timeout=900)
    assert evaluated.returncode == 0, evaluated.stderr
    result = json.loads((tmp_path / "eval" / "evaluation.json").read_text())
    assert Version(Version(result["torch_version"]).base_version) == Version(floor("torch")), result

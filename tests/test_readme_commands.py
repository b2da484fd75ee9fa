"""Every command in the README's code blocks is checked, so that none can drift from the code.

Each command is looked up in TABLE, which says how it is checked and why: run as is, run with tiny
flags (``TINY``), run for real in a stated short form, or only parsed, for those that need a GPU, the
network or hours: ``resnet-study`` and Python entry points parse their flags with their own argparse
parser (running nothing), ``make`` targets run as ``make -n`` and the commands they print are parsed in
turn, pip's options are parsed by pip. A command that no row matches fails the test, and so does a
row that matches no command. The commands run in a scratch folder that links the checkout's files in,
with ``data`` linked to the shared CIFAR-10 subset, so nothing is written into the checkout.
"""

from __future__ import annotations

import argparse
import os
import re
import runpy
import shlex
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.version import Version
import torch
from setuptools.config.pyprojecttoml import read_configuration

from resnet_study.cli import build_parser, main
from resnet_study.models import list_weights

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SUBSET = SHARED / "data" / "cifar10-subset"
PLACEHOLDERS = {"<cifar folder>": "data", "<imagefolder>": "imagenette"}
TINY = ["--data-dir", "data", "--iterations", "2", "--milestones", "1", "--batch-size", "8", "--holdout", "64",
        "--log-every", "1", "--eval-every", "2", "--checkpoint-every", "2", "--precision", "fp32"]
LINKED = ["Makefile", "pyproject.toml", "constraints.txt", "experiments", "scripts", "results", "notebooks"]
HUB_FILES = {("cifar_plain56", "wooyeolbaek"): "wooyeolbaek/plainnet56_A_230623_000836/last.pth",
             ("cifar_resnet56", "akamaster"): "akamaster/resnet56-4bfd9763.th"}


class Drift(AssertionError):
    """A README command that the code no longer accepts."""


@dataclass(frozen=True)
class Check:
    pattern: str  # a regex the whole command (its words joined by spaces) matches
    how: str  # run | tiny | short (extra alone) | parse | make | make -n | make -n, tiny | venv | pip | hub
    why: str = ""  # why not run as is
    extra: tuple[str, ...] = ()  # flags added to a tiny run


RS = r"(\.venv/bin/)?resnet-study"
TABLE = [
    Check(r"make cifar-sweep( SEEDS=\S+ OUT=\S+)?", "make -n", "the paper's recipe: a GPU and hours"),
    Check(r"make cifar-quick DATA_DIR=data", "make -n, tiny", "minutes; plain-56 alone, tiny",
          ("--models", "cifar_plain56")),
    Check(r"make (cifar-study|imagenet-study|imagenet-sweep) DATA_DIR=\S+( IMAGENET_PRESET=\w+)?", "make -n",
          "an hour or more on a CPU"),
    Check(r"make (test|test-all)", "make -n", "the suite itself, which runs this test"),
    Check(r"make (notebooks|figures|slides|notebooks-refresh)( SLIDES_LANG=ko)?", "make -n",
          "JupyterLab waits for a browser; figures, slides and the refresh take minutes"),
    Check(r"make why(-\w+)? DATA_DIR=data", "make -n",
          "the published nets' weights come from the network; the four analyses take about 45 minutes on 2 cores"),
    Check(r"make gpu-data CIFAR=data", "make", "copies the 16 MB subset into .gpu/data"),
    Check(r"python3 scripts/gpu_check\.py --data \.gpu/data --out \S+", "parse", "needs a GPU"),
    Check(r"python3 -m venv (\.venv|/tmp/floor)", "venv",
          "without pip, in the scratch folder: installing needs the network"),
    Check(r"\.venv/bin/pip install .*", "pip", "the network: pip parses the options, pyproject has the extras"),
    Check(r"/tmp/floor/bin/pip install .*", "floor", "the network: as pip, and its pins are pyproject.toml's floors"),
    Check(r"RESNET_STUDY_FLOOR_PYTHON=\S+ \.venv/bin/pytest -m slow (\S+)", "collect",
          "needs the floor's environment: its slow tests are collected"),
    Check(r"touch \.venv/\.installed", "run"),
    Check(rf"{RS} train --model cifar_plain56 --out runs/plain56", "parse",
          "the paper's recipe on a CPU takes days; the next line trains the same code path"),
    Check(rf"{RS} train --model cifar_resnet20 --out runs/r20 --preset quick --data-dir data", "tiny",
          "minutes; two steps"),
    Check(rf"{RS} sweep --config experiments/cifar_sweep\.yaml --out runs/fig6", "tiny",
          "the Fig. 6 grid takes a GPU's hours; plain-20 alone, tiny", ("--models", "cifar_plain20")),
    Check(rf"{RS} sweep --config .* --(runs-per-gpu|nproc-per-run|launcher) .*", "parse",
          "GPUs, torchrun or a SLURM cluster"),
    Check(rf"{RS} (status runs/fig6|weights|models --names \S+)", "run"),
    Check(rf"{RS} models", "short", "counting all 22 nets takes 10-20 s; two of them",
          ("--names", "cifar_plain20,resnet18")),
    Check(rf"{RS} responses --run runs/cifar-quick/runs/cifar_plain56-s0", "run"),
    Check(rf"{RS} (landscape|lesion|shatter|degeneracy) .*", "parse",
          "published weights from the network, minutes per net (tests/test_why.py runs each on generated data)"),
    Check(rf"{RS} evaluate .*", "parse", "all published nets, or one, on every image: minutes to half an hour"),
    Check(r"python -c from resnet_study\.models import create_model; .*", "run",
          "the published file comes from ../shared/published through torch.hub's cache"),
    Check(r"import torch\nnet = torch\.hub\.load\(.*", "hub", "the checkout stands in for GitHub (source='local')"),
    Check(r"from resnet_study\.models import create_model, list_models\n.*", "run"),
]


def readme_commands(text: str) -> list[tuple[str, list[str] | str]]:
    """(key, command) of every command in ``text``'s code blocks, in order: a shell line (continued
    lines joined, comments dropped, ``&&`` split, placeholders filled) as its words; a Python block whole."""
    commands = []
    for language, body in re.findall(r"^```(\w*)\n(.*?)^```", text, re.S | re.M):
        if language == "python":
            commands.append((body, body))
            continue
        assert language in ("bash", "sh", "shell"), f"a README code block in {language!r}: TABLE knows no such commands"
        for line in body.replace("\\\n", " ").splitlines():
            for placeholder, value in PLACEHOLDERS.items():
                line = line.replace(placeholder, value)
            words = shlex.split(line, comments=True)
            while words:
                cut = words.index("&&") if "&&" in words else len(words)
                commands.append((" ".join(words[:cut]), words[:cut]))
                words = words[cut + 1:]
    return commands


def row(key: str) -> Check:
    rows = [c for c in TABLE if re.fullmatch(c.pattern, key, re.S)]
    if len(rows) != 1:
        raise Drift(f"README command {key!r} matches {len(rows)} rows of TABLE; add one saying how it is checked")
    return rows[0]


class _Parsed(Exception):
    pass


def parse_only(run, monkeypatch) -> None:
    """Run a Python entry point until its argparse parser has parsed; a parse error is drift."""
    parse_args = argparse.ArgumentParser.parse_args

    def parse_then_stop(self, *args, **kwargs):
        parse_args(self, *args, **kwargs)
        raise _Parsed

    with monkeypatch.context() as patch:
        patch.setattr(argparse.ArgumentParser, "parse_args", parse_then_stop)
        patch.setattr(sys, "path", list(sys.path))
        patch.setattr(warnings, "filters", list(warnings.filters))
        warnings.filterwarnings("ignore", "'.*' found in sys.modules", RuntimeWarning)  # runpy: imported before
        try:
            run()
        except _Parsed:
            return
        except SystemExit as exit:
            raise Drift(f"its parser refused it (exit status {exit.code})") from None
    raise Drift("it never parsed its arguments")


def python(words: list[str], how: str, monkeypatch) -> None:
    """``resnet-study ...``, ``python -m ...``, ``python script.py ...``, ``python -c ...`` in this process."""
    program, args = Path(words[0]).name, [os.path.expandvars(w) for w in words[1:]]
    if program == "resnet-study":
        if how == "parse":
            try:
                build_parser().parse_args(args)
            except SystemExit as exit:
                raise Drift(f"resnet-study refused {shlex.join(args)} (exit status {exit.code})") from None
        elif main(args) != 0:
            raise Drift(f"resnet-study {shlex.join(args)} failed")
        return
    assert program in ("python", "python3"), program
    if args[0] == "-c":
        assert how == "run"
        exec(compile(args[1], "README.md", "exec"), {})
        return
    module = args[0] == "-m"
    target, rest = (args[1], args[2:]) if module else (args[0], args[1:])
    monkeypatch.setattr(sys, "argv", [target, *rest])
    assert how == "parse"
    parse_only(lambda: runpy.run_module(target, run_name="__main__") if module else
               runpy.run_path(target, run_name="__main__"), monkeypatch)


def make(words: list[str], dry: bool, stamp: Path) -> list[list[str]]:
    """``make`` as the README has it (``-n`` when ``dry``), with a freshly touched stamp, so that a
    pyproject.toml newer than .venv never rebuilds the environment; the commands it printed."""
    # as from a shell: under `make test`, MAKELEVEL would make it print make[1]: lines among the commands
    env = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    done = subprocess.run(["make", "--no-print-directory", *(["-n"] if dry else []), *words[1:], f"STAMP={stamp}"],
                          capture_output=True, text=True, env=env)
    if done.returncode:
        raise Drift(f"{shlex.join(words)} failed: {done.stderr.strip()}")
    lines = done.stdout.replace("\\\n", " ").splitlines()
    return [shlex.split(line) for line in lines if line.strip() and not line.startswith("make: Nothing to be done")]


def printed(lines: list[list[str]], check: Check, monkeypatch) -> None:
    """What ``make -n`` printed: resnet-study and Python commands parse (a tiny form runs); the
    other programs exist in this environment."""
    for words in lines:
        program = Path(words[0]).name
        if program == "resnet-study" or program.startswith("python"):
            tiny = check.how.endswith("tiny") and program == "resnet-study"
            python(words + (TINY + list(check.extra) if tiny else []), "run" if tiny else "parse", monkeypatch)
        elif program not in ("mkdir", "cp", "chmod", "touch"):
            assert (Path(sys.executable).parent / program).exists(), f"make prints {program}, which is not installed"


def check_command(words, check: Check, monkeypatch, stamp: Path) -> None:
    """Check one README command as ``check`` says; ``Drift`` when the code no longer accepts it."""
    if check.how == "hub":  # torch.hub.load("resnet-study/resnet-study", ...) from this checkout
        hub_load = torch.hub.load
        monkeypatch.setattr(torch.hub, "load", lambda repo, *a, **k: hub_load(str(ROOT), *a, source="local", **k))
        exec(compile(words, "README.md", "exec"), {})
    elif isinstance(words, str):
        exec(compile(words, "README.md", "exec"), {})
    elif check.how.startswith("make"):
        printed(make(words, dry=check.how.startswith("make -n"), stamp=stamp), check, monkeypatch)
    elif check.how == "venv":  # the venv, without pip, in the scratch folder; make then skips its set-up once
        subprocess.run([*words[:3], "--without-pip", Path(words[3]).name], check=True)  # the stamp is touched
    elif check.how == "collect":  # the README's slow tests exist and are marked slow
        listed = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", "slow", "-p",
                                 "no:cacheprovider", str(ROOT / words[-1])], capture_output=True, text=True)
        assert listed.returncode == 0 and "::" in listed.stdout, f"{words[-1]} collects no slow test"
    elif check.how in ("pip", "floor"):  # its options are pip's; the extras it installs are pyproject.toml's
        helped = subprocess.run([sys.executable, "-m", "pip", "install", "--help"], capture_output=True, text=True)
        unknown = [w for w in words if w.startswith("-")
                   and not re.search(rf"(^|[\s,]){re.escape(w)}\b", helped.stdout, re.M)]
        assert not unknown, f"pip install has no {unknown}"
        extras = re.findall(r"^\.\[(.*)\]$", words[-1])
        declared = read_configuration("pyproject.toml")["project"]["optional-dependencies"]
        assert set(",".join(extras).split(",")) - {""} <= set(declared), f"{extras}; pyproject.toml has {declared}"
        if check.how == "floor":  # the floor it installs is the one pyproject.toml declares
            floors = dict(re.findall(r"^([\w-]+)>=([\w.]+)", "\n".join(
                read_configuration("pyproject.toml")["project"]["dependencies"]), re.M))
            pins = dict(w.split("==") for w in words if "==" in w)
            assert all(Version(pins[k]) == Version(v) for k, v in floors.items() if k in pins), (pins, floors)
    elif words[0] == "touch":
        subprocess.run(words, check=True)
        assert make(["make", "setup"], dry=True, stamp=Path(words[1])) == []  # nothing left to install
    else:
        added = {"tiny": TINY + list(check.extra), "short": list(check.extra)}.get(check.how, [])
        python(words + added, "parse" if check.how == "parse" else "run", monkeypatch)


@pytest.fixture
def checkout(tmp_path, monkeypatch) -> Path:
    """A scratch folder that reads as the checkout: its files linked in, data -> the shared subset,
    torch.hub's cache holding the shared published files, $OUT set."""
    if not SUBSET.is_dir() or not all((SHARED / "published" / file).is_file() for file in HUB_FILES.values()):
        pytest.skip("../shared (the CIFAR-10 subset, published files) is not beside the checkout")
    for name in LINKED:
        (tmp_path / name).symlink_to(ROOT / name)
    (tmp_path / "data").symlink_to(SUBSET)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("OUT", str(tmp_path / "out"))
    cache = tmp_path / "torch" / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    for (model, tag), file in HUB_FILES.items():
        shutil.copy(SHARED / "published" / file, cache / list_weights(model, tag=tag)[0].file_name)
    (tmp_path / "stamp").touch()
    return tmp_path


def test_every_readme_command_runs_or_parses(checkout, monkeypatch):
    commands = readme_commands((ROOT / "README.md").read_text())
    used = set()
    for key, words in commands:
        check = row(key)
        used.add(check.pattern)
        try:
            check_command(words, check, monkeypatch, checkout / "stamp")
        except Drift as drift:
            pytest.fail(f"README command {key!r} ({check.how}): {drift}")
    assert not [c.pattern for c in TABLE if c.pattern not in used], "TABLE rows that match no README command"
    assert (checkout / "runs" / "cifar-quick" / "runs.csv").is_file() and (checkout / ".gpu" / "data").is_dir()


def test_a_renamed_flag_or_an_unknown_command_fails(checkout, monkeypatch):
    readme = (ROOT / "README.md").read_text()
    commands = dict(readme_commands(readme))
    add_argument = argparse._ActionsContainer.add_argument
    renames = {"--runs-per-gpu": "--gpu-runs", "--data-dir": "--data"}

    def renamed(self, *names, **kwargs):  # the code renames flags that the README and the Makefile name
        return add_argument(self, *[renames.get(n, n) for n in names], **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(argparse._ActionsContainer, "add_argument", renamed)
        for key in (next(k for k in commands if "--runs-per-gpu" in k), "make cifar-study DATA_DIR=data"):
            with pytest.raises(Drift, match="refused .*--(runs-per-gpu|data-dir)"):
                check_command(commands[key], row(key), monkeypatch, checkout / "stamp")
    # the README names a flag the code lacks
    edited = dict(readme_commands(readme.replace("--published all --data-dir", "--published-set all --data-dir")))
    key = next(k for k in edited if "--published-set" in k)
    with pytest.raises(Drift, match="refused evaluate --published-set all"):
        check_command(edited[key], row(key), monkeypatch, checkout / "stamp")
    with pytest.raises(Drift, match="matches 0 rows of TABLE"):
        [row(k) for k, _ in readme_commands(readme + "\n```bash\nresnet-study frobnicate\n```\n")]
    with pytest.raises(Drift, match="No rule to make target 'cifar-quik'"):
        check_command(["make", "cifar-quik"], row("make cifar-sweep"), monkeypatch, checkout / "stamp")

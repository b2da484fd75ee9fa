"""The command line: a flag for every config field, one error type, answers without torch."""

import subprocess
import sys

import pytest

from resnet_study import cli
from resnet_study.cli import flags
from resnet_study.config import KEYS, key_type, make_config
from resnet_study.errors import StudyError
from resnet_study.training.runfolder import check_same_config


def parse(*argv):
    return cli.build_parser().parse_args(["train", "--model", "cifar_resnet8", "--out", "unused", *argv])


def test_every_config_field_has_a_flag_with_its_type_and_default(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for key in KEYS:
        if key in flags.OWN_FLAGS:
            continue
        flag = "--" + key.replace("_", "-")
        assert flag in text, flag
    assert "--shortcut SHORTCUT A, B or C" in text
    assert "[comma-separated ints; paper: 32000,48000]" in text
    assert "[bool; paper: true]" in text and "--no-amp" in text


def test_flags_convert_by_type_hint_and_only_given_flags_override():
    cfg = flags.run_config(parse("--milestones", "10,20", "--no-amp", "--warmup-depth", "none", "--epochs", "2.5",
                               "--epoch-milestones", "1,1.5", "--lr", "0.05"))
    assert cfg.optim.milestones == (10, 20) and cfg.run.precision == "fp32" and cfg.optim.warmup_depth is None
    assert cfg.optim.epochs == 2.5 and cfg.optim.epoch_milestones == (1.0, 1.5) and cfg.optim.lr == 0.05
    assert cfg.optim.momentum == 0.9 and cfg.optim.batch_size == 128  # not given: the preset's
    assert flags.run_config(parse("--preset", "quick")).optim.batch_size == 64
    # A flag wins over --set.
    assert flags.run_config(parse("--set", "lr=0.2", "--lr", "0.3")).optim.lr == 0.3


def test_types_come_from_the_hints():
    assert key_type("warmup_depth") == int | None and key_type("epoch_milestones") == tuple[float, ...]
    cfg = make_config("paper", flags.convert({"warmup_depth": "7", "shortcut": "none", "compile": "yes"}))
    assert cfg.optim.warmup_depth == 7 and cfg.model.options.get("shortcut") is None and cfg.run.compile is True


@pytest.mark.parametrize("argv,sentence", [
    (["--lr", "fast"], "lr='fast' is not a valid float"),
    (["--milestones", "a,b"], "milestones='a,b' is not a valid comma-separated ints"),
    (["--set", "workers=2"], "config key 'workers' is now called 'loader_workers'"),
    (["--warmup-depth", "1.5"], "warmup_depth='1.5' is not a valid int or none"),
])
def test_bad_flag_values_are_one_sentence(capsys, argv, sentence):
    assert cli.main(["train", "--model", "cifar_resnet8", "--out", "unused", *argv]) == 2
    err = capsys.readouterr().err
    assert sentence in err and len(err.strip().splitlines()) == 1


def test_the_registry_raises_the_projects_error_and_other_errors_are_not_swallowed(monkeypatch):
    from resnet_study.models import create_model, model_info

    for bad in (lambda: model_info("cifar_resnet9"), lambda: model_info("vgg16"),
                lambda: create_model("cifar_resnet8", shortcut="D")):
        with pytest.raises(StudyError):
            bad()
    # A bug (a plain ValueError) is a traceback, not a one-line "bad input" message.
    monkeypatch.setattr(cli.models, "run", lambda args: int("not a number"))
    with pytest.raises(ValueError, match="invalid literal"):
        cli.main(["models"])


def test_a_folder_written_before_a_rename_still_resumes(tmp_path):
    requested = make_config("paper").to_dict()
    old = {("workers" if k == "loader_workers" else k): v for k, v in requested.items()}
    check_same_config(tmp_path, requested, old, "config.json")  # no error
    with pytest.raises(StudyError, match="different configuration \\(lr differ"):
        check_same_config(tmp_path, requested, dict(old, lr=0.5), "config.json")


COMMANDS = [
    ["--help"], ["--version"], ["train", "--help"], ["sweep", "--help"],
    ["train", "--model", "cifar_resnet9", "--out", "x"],
    ["train", "--model", "cifar_resnet8", "--out", "x", "--lr", "inf"],
    ["bench", "--model", "resnet18", "--batch-size", "0"],
    ["sweep", "--models", "cifar_resnet8,cifar_resnet8", "--out", "x"],
    ["evaluate", "--model", "resnet18", "--weights", "w.th", "--data-dir", "d"],
    ["models", "--names", "cifar_plain7"],
]


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_help_version_and_input_errors_answer_without_importing_torch(tmp_path, argv):
    code = ("import sys\nfrom resnet_study.cli import main\n"
            f"try:\n    code = main({argv!r})\nexcept SystemExit as exit:\n    code = exit.code\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\nsys.exit(code)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert "Traceback" not in result.stderr, result.stderr
    if argv[-1] in ("--help", "--version"):
        assert result.returncode == 0 and result.stdout.strip()
    else:
        assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_the_probes_do_not_import_the_engine():
    code = "import sys, resnet_study.training.probes\nassert 'resnet_study.training.loop' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)

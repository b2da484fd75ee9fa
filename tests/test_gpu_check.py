"""``scripts/gpu_check.py`` (issue 24): its rehearsal on the CPU runs every step's logic at toy sizes,
so that the check's own bugs show up here and not in a GPU's one short lease. Injected steps (the
test hook $GPU_CHECK_EXTRA_STEPS) fail, time out, leave a sleeping grandchild, overrun the budget
and stop the check with SIGTERM; the report must keep every number measured before them."""

import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

from helpers import make_cifar_folder

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "gpu_check.py"
FINAL = {"ok", "failed", "timed out", "skipped", "interrupted"}
no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")


def _script(name: str = "gpu_check"):
    """The script (or ``gpu_report`` beside it) as a module, for its pure functions."""
    spec = importlib.util.spec_from_file_location(name, SCRIPT.with_name(f"{name}.py"))
    module = sys.modules[name] = importlib.util.module_from_spec(spec)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _gone(pid: int, wait_s: float = 5.0) -> bool:
    """Whether process ``pid`` has ended (a zombie that nobody reaped has ended too)."""
    until = time.monotonic() + wait_s
    while time.monotonic() < until:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.1)
    return False


def _grandchild(pid_file: Path) -> str:
    """Python source that starts a sleeping grandchild sharing the step's output and records its pid."""
    return (f"import subprocess, sys; "
            f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); "
            f"open({str(pid_file)!r}, 'w').write(str(child.pid)); ")


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory):
    """One rehearsal with injected steps: (exit status, stderr, report, log text, folder)."""
    tmp = tmp_path_factory.mktemp("gpu-check")
    data, out = make_cifar_folder(tmp / "data", per_batch=40, test=64), tmp / "out"
    py = sys.executable
    extra = [
        {"name": "failing-step", "after": "bench", "cap_s": 30,
         "command": [py, "-c", "print('about to fail'); raise SystemExit(3)"]},
        {"name": "hanging-step", "after": "failing-step", "cap_s": 4,
         "command": [py, "-c", f"import shutil; shutil.copy({str(out / 'gpu_check.json')!r}, "
                               f"{str(tmp / 'snapshot.json')!r}); " + _grandchild(tmp / "hanging.pid") +
                     "print('hanging now', flush=True); import time; time.sleep(600)"]},
        {"name": "straggler-step", "after": "hanging-step", "cap_s": 30,
         "command": [py, "-c", _grandchild(tmp / "straggler.pid") + "print('leaving a grandchild behind')"]},
        {"name": "too-long-step", "after": "torchrun", "cap_s": 100_000, "command": [py, "-c", "pass"]},
        {"name": "interrupt-step", "after": "too-long-step", "cap_s": 30,
         "command": [py, "-c", "import os, signal, time; os.kill(os.getppid(), signal.SIGTERM); time.sleep(600)"]},
    ]
    (tmp / "extra.json").write_text(json.dumps(extra))
    env = {**os.environ, "GPU_CHECK_EXTRA_STEPS": str(tmp / "extra.json")}
    done = subprocess.run([py, str(SCRIPT), "--rehearse", "--data", str(data), "--out", str(out)],
                          capture_output=True, text=True, env=env, cwd=tmp, timeout=900)
    report = json.loads((out / "gpu_check.json").read_text())
    return done, report, (out / "gpu_check.log").read_text(), tmp


def _step(report, name):
    return next(s for s in report["steps"] if s["name"] == name)


def _output(log: str, record: dict) -> str:
    start, end = record["log_bytes"]
    return log.encode()[start:end].decode()


def test_rehearsal_runs_every_step_and_records_each(rehearsal):
    done, report, log, _ = rehearsal
    names = [s["name"] for s in report["steps"]]
    assert names == ["probe", "bench", "failing-step", "hanging-step", "straggler-step", "profile", "bench-compiled",
                     "precision-bf16", "precision-fp16", "precision-fp32", "tests", "sweep-2", "torchrun",
                     "too-long-step", "interrupt-step"]
    assert {s["status"] for s in report["steps"]} <= FINAL, report["steps"]
    real = [s for s in report["steps"] if not s["name"].endswith("-step")]
    for record in real:
        if record["status"] == "skipped":  # the precision auto picks: bench measured it
            assert record["name"].startswith("precision-") and "auto picks" in record["reason"], record
        else:
            assert record["status"] == "ok", _output(log, record)
            assert f"===== {record['name']} (cap" in _output(log, record)
    assert sum(s["status"] == "skipped" for s in real) == 1
    assert report["machine"]["cuda_available"] is False and report["machine"]["torch"] == torch.__version__
    assert report["parent_imported_torch"] is False  # the check's own process opens no CUDA context


def test_rehearsal_measures_what_the_goals_need(rehearsal):
    _, report, _, _ = rehearsal
    bench, compiled = _step(report, "bench")["result"], _step(report, "bench-compiled")["result"]
    assert bench["engine_images_per_second"] > 0 and bench["engine_tflops"] > 0 and not bench["compile"]
    assert compiled["compile"] and compiled["warmup_seconds"] > 0  # the compilation, outside the timing
    assert _step(report, "profile")["result"]["profile"]["wall_ms_per_step"] > 0
    assert _step(report, "tests")["result"]["tests"] >= 1  # the gpu-marked tests, skipped on a CPU
    sweep = _step(report, "sweep-2")["result"]
    assert sweep["runs_done"] == 2
    assert _step(report, "torchrun")["result"]["status"] == "done"
    goals = {g["step"]: g for g in report["goals"]}
    assert set(goals) == {"bench", "bench-compiled", "profile", "bench and sweep-K"}
    assert goals["bench"]["measured"] == bench["engine_images_per_second"] and goals["bench"]["met"] is False
    assert goals["profile"]["measured"] is None and goals["profile"]["met"] is None  # no GPU kernels on a CPU
    assert goals["bench and sweep-K"]["estimate"]["minutes_by_runs_at_once"]["1"] > 0


def test_a_failing_step_keeps_its_output_and_the_numbers_before_it(rehearsal):
    done, report, log, tmp = rehearsal
    failing = _step(report, "failing-step")
    assert failing["status"] == "failed" and failing["exit_status"] == 3
    assert "about to fail" in _output(log, failing)
    snapshot = json.loads((tmp / "snapshot.json").read_text())  # the report as the next step started
    assert _step(snapshot, "bench")["result"]["engine_images_per_second"] > 0
    assert _step(snapshot, "failing-step")["status"] == "failed"
    assert _step(snapshot, "hanging-step")["status"] == "running"
    assert _step(snapshot, "profile")["status"] == "pending"


def test_a_timed_out_step_is_killed_with_its_grandchild_and_keeps_its_output(rehearsal):
    _, report, log, tmp = rehearsal
    hanging = _step(report, "hanging-step")
    assert hanging["status"] == "timed out" and 4 <= hanging["seconds"] < 10
    assert "hanging now" in _output(log, hanging)
    assert _gone(int((tmp / "hanging.pid").read_text()))


def test_a_grandchild_holding_the_output_does_not_hold_a_finished_step(rehearsal):
    _, report, log, tmp = rehearsal
    straggler = _step(report, "straggler-step")
    assert straggler["status"] == "ok" and straggler["seconds"] < 20 and straggler["stragglers_killed"]
    assert "leaving a grandchild behind" in _output(log, straggler)
    assert _gone(int((tmp / "straggler.pid").read_text()))


def test_a_step_that_does_not_fit_is_skipped_and_sigterm_keeps_the_report(rehearsal):
    done, report, log, tmp = rehearsal
    too_long = _step(report, "too-long-step")
    assert too_long["status"] == "skipped" and "does not fit" in too_long["reason"] and "log_bytes" not in too_long
    assert _step(report, "interrupt-step")["status"] == "interrupted"
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("gpu-check: stopped by SIGTERM;")
    assert "| bench | ok |" in (tmp / "out" / "gpu_check.md").read_text()


@no_cuda
def test_make_gpu_check_without_cuda_says_so_and_keeps_the_probe(tmp_path, cifar_dir):
    done = subprocess.run(["make", "-s", "gpu-check", f"PYTHON={sys.executable}", f"GPU_DATA={cifar_dir}",
                           f"GPU_OUT={tmp_path}"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode != 0
    assert done.stderr.count("gpu-check: this machine has no CUDA GPU") == 1
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    assert report["machine"]["cuda_available"] is False and _step(report, "probe")["status"] == "ok"
    assert {s["status"] for s in report["steps"][1:]} == {"skipped"}


def test_without_torch_or_data_it_says_one_sentence(tmp_path):
    # python -S: no site-packages, so no torch; the script still finds the checkout's package itself
    done = subprocess.run([sys.executable, "-S", str(SCRIPT), "--out", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 1 and done.stdout == "" and "has no PyTorch" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert subprocess.run([sys.executable, "-S", str(SCRIPT), "--help"], capture_output=True).returncode == 0
    done = subprocess.run([sys.executable, str(SCRIPT), "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 1 and done.stderr.strip().splitlines() == [
        f"gpu-check: {tmp_path / 'nowhere'} holds no cifar-10-batches-py/; make gpu-data CIFAR=<a CIFAR-10 folder> "
        f"copies one into .gpu/data (README, GPU section)"]


def test_make_gpu_data_copies_any_cifar_folder(tmp_path):
    source = make_cifar_folder(tmp_path / "cifar", per_batch=4, test=0)
    done = subprocess.run(["make", "-s", "gpu-data", f"CIFAR={source}", f"GPU_DATA={tmp_path / 'gpu'}"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "gpu" / "cifar-10-batches-py").iterdir()) == sorted(
        p.name for p in (source / "cifar-10-batches-py").iterdir())
    done = subprocess.run(["make", "-s", "gpu-data", f"CIFAR={tmp_path / 'none'}", f"GPU_DATA={tmp_path / 'x'}"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode != 0 and "holds no cifar-10-batches-py" in done.stderr and not (tmp_path / "x").exists()


def test_caps_add_up_within_the_budget():
    script = _script()
    for sizes in (script.GPU, script.REHEARSAL):
        steps = script.plan(sizes, Path("data"), Path("work"))
        assert [s.name for s in steps] == list(sizes.caps)  # a cap for every step, in the order they run
        assert sum(sizes.caps.values()) <= sizes.budget_s
    assert script.GPU.budget_s <= 8 * 60  # one GPU lease: the check and the machine's start in 15 minutes


def test_warm_rates_leave_out_the_first_interval(tmp_path):
    script = _script()
    runs = tmp_path / "runs"
    (runs / "a").mkdir(parents=True)
    rates = script.WarmRates(runs)
    # 10 iterations at a cumulative 100 images/s (per image of the batch: 0.1 s), then 30 at 150 (0.2 s):
    # the 20 iterations between took 0.1 s per image of the batch, 200 images/s.
    (runs / "a" / "progress.json").write_text(json.dumps({"iteration": 10, "images_per_second": 100.0}))
    rates.watch(tmp_path)
    (runs / "a" / "progress.json").write_text(json.dumps({"iteration": 20, "images_per_second": 120.0}))
    rates.watch(tmp_path)
    (runs / "a" / "summary.json").write_text(json.dumps({"iterations": 30, "images_per_second": 150.0}))
    result = rates.numbers(tmp_path)
    assert result["warm"]["a"] == {"from_iteration": 10, "to_iteration": 30, "images_per_second": 200.0}
    assert result["aggregate_images_per_second"] == 200.0 and result["runs_done"] == 1


def test_grid_estimate_shares_the_gpu_between_runs():
    script = _script("gpu_report")
    work = sum(script.GRID_IMAGES * (d - 2) / 54 for d in script.GRID_DEPTHS)  # in ResNet-56 images
    assert script.grid_seconds({1: 1000.0}, 1, 56) == pytest.approx(work / 1000)
    # 9 at once, each as fast as alone: the grid takes as long as its longest net, ResNet-110 (twice 56's cost)
    assert script.grid_seconds({1: 1000.0, 9: 9000.0}, 9, 56) == pytest.approx(2 * script.GRID_IMAGES / 1000)
    # 9 at once with no gain over one: all the work at one rate again
    assert script.grid_seconds({1: 1000.0, 9: 1000.0}, 9, 56) == pytest.approx(work / 1000)
    assert script.interpolate({1: 10.0, 3: 30.0, 9: 60.0}, 2) == 20.0
    assert script.interpolate({1: 10.0, 3: 30.0, 9: 60.0}, 12) == 60.0


def test_grid_is_the_sweep_file_and_gpu_tests_are_the_marked_files():
    script = _script()
    grid = yaml.safe_load((ROOT / "experiments" / "cifar_sweep.yaml").read_text())["models"]
    assert sorted(_script("gpu_report").GRID_DEPTHS) == sorted(int(re.search(r"\d+$", m).group()) for m in grid)
    marked = sorted(f"tests/{p.name}" for p in (ROOT / "tests").glob("test_*.py")
                    if "@pytest.mark.gpu\n" in p.read_text())
    assert sorted(script.GPU_TEST_FILES) == marked

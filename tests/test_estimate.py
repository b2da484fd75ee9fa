"""Issue 26's times a user can trust before starting: every make target that trains says how long it
will take here, from timed steps of its costliest net scaled by each run's training FLOPs."""

from __future__ import annotations

import pytest

from resnet_study import estimate as estimate_module
from resnet_study.bench import training_flops_per_image
from resnet_study.config import make_config
from resnet_study.estimate import TrainingEstimate, duration, estimate_training, evaluations
from resnet_study.sweep import Sweep, cpu_estimate


def config(cifar_dir, model, **extra):
    values = dict(model=model, data_dir=str(cifar_dir), device="cpu", iterations=100, batch_size=32, milestones=(),
                  log_every=10, eval_every=30)
    return make_config("quick", {**values, **extra})


def test_each_run_costs_its_flops_at_the_rate_measured_on_the_costliest(cifar_dir, monkeypatch):
    timed = []

    def time_engine(trainer, steps, warmup):  # a fixed rate, so that the arithmetic is what is tested
        timed.append(trainer.cfg.model.name)
        return 100.0, 0.0

    monkeypatch.setattr(estimate_module, "time_engine", time_engine)
    small, large = config(cifar_dir, "cifar_resnet8"), config(cifar_dir, "cifar_plain14", iterations=40)
    result = estimate_training([small, large])
    assert timed == ["cifar_plain14"]  # only the costliest net is timed
    flops = {cfg.model.name: training_flops_per_image(cfg) for cfg in (small, large)}
    assert flops["cifar_plain14"] > flops["cifar_resnet8"]
    assert evaluations(small) == 4 and evaluations(large) == 2  # 30, 60, 90, 100 and 30, 40
    eval_images = result.eval_images
    assert result.train_images == 320 and eval_images == 200  # the generated folder's training and test images
    work = ((100 * 32 + 5 * eval_images / 3) * flops["cifar_resnet8"]
            + (40 * 32 + 3 * eval_images / 3) * flops["cifar_plain14"])
    assert result.seconds == pytest.approx(work / (100.0 * flops["cifar_plain14"]))
    assert result.gflops == pytest.approx(100.0 * flops["cifar_plain14"] / 1e9)
    assert "cifar_plain14 measured here at 100 images/s" in result.measured()


def test_a_real_measurement_names_the_net_precision_and_cpu(cifar_dir):
    result = estimate_training([config(cifar_dir, "cifar_resnet8")], steps=2, warmup=1)
    assert result.seconds > 0 and result.images_per_second > 0 and result.model == "cifar_resnet8"
    assert result.precision in ("fp32", "bf16") and result.device.startswith("cpu (") and 0 < result.cpu_share <= 1.5


def test_steps_timed_while_other_work_shared_the_cpu_say_so():
    values = dict(seconds=60, model="cifar_plain56", images_per_second=50, gflops=37.5, precision="fp32",
                  device="AMD EPYC, 2 threads", train_images=4653, eval_images=517)
    crowded, quiet = TrainingEstimate(**values, cpu_share=0.4), TrainingEstimate(**values, cpu_share=0.97)
    assert crowded.busy
    assert "other work shared the CPU while it was timed (its threads got 40% of it)" in crowded.measured()
    assert not quiet.busy and "other work" not in quiet.measured()
    assert not TrainingEstimate(**values).busy  # a GPU's steps: no CPU share


@pytest.mark.parametrize("seconds,said", [(0.2, "1 s"), (40, "40 s"), (600, "10 minutes"), (4 * 3600, "4.0 hours")])
def test_durations_read_as_a_person_says_them(seconds, said):
    assert duration(seconds) == said


def test_a_quick_sweep_on_a_cpu_says_how_long_its_runs_take(cifar_dir, tmp_path):
    sweep = Sweep(out=str(tmp_path), models=["cifar_plain20", "cifar_resnet20"], preset="quick",
                  overrides={"data_dir": str(cifar_dir), "device": "cpu"})
    estimate = cpu_estimate(sweep)  # 2 x 360 iterations of 64 through a 20-layer net: above the floor
    assert estimate is not None and estimate.hours > 0
    assert estimate.text.startswith("the 2 runs left would take about ")
    assert " here, one after another (cifar_plain20 measured here at " in estimate.text
    assert "no GPU" not in estimate.text  # the quick preset is made for a CPU
    small = Sweep(out=str(tmp_path / "small"), models=["cifar_resnet8"], preset="quick",
                  overrides={"data_dir": str(cifar_dir), "device": "cpu", "iterations": 50})
    assert cpu_estimate(small) is None  # seconds of training: no measurement

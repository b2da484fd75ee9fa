"""``resnet-study bench`` measures right (issue 24): kernel time from the device's own events, wall
time without the profiler, compilation outside the timing, effective FLOP/s from the model's MACs."""

import json

import pytest
from torch.autograd import DeviceType
from torch.autograd.profiler_util import EventList, FunctionEvent

from resnet_study.bench import FLOPS_PER_MAC_TRAINING, device_time, training_flops_per_image
from resnet_study.cli import main
from resnet_study.config import make_config
from resnet_study.models import count_macs, create_model, describe


def _event(name, start, end, device=DeviceType.CUDA, annotation=False, id=0):
    return FunctionEvent(id=id, name=name, thread=0, start_us=start, end_us=end, device_type=device,
                         is_user_annotation=annotation, use_device="cuda", stack=[])


def test_device_time_counts_each_kernel_once_and_busy_time_as_the_union():
    conv = _event("aten::conv2d", 0, 100, DeviceType.CPU, id=1)  # the CPU op that launched two kernels
    conv.append_kernel("implicit_gemm", 0, 30)  # torch's profiler adds each kernel to its CPU op too
    conv.append_kernel("relu_kernel", 0, 30)
    events = EventList([
        conv, _event("aten::relu", 100, 110, DeviceType.CPU, id=2),
        _event("implicit_gemm", 10, 40), _event("relu_kernel", 50, 80),
        _event("memcpy_kernel", 30, 60),  # on another stream: overlaps both
        _event("ProfilerStep#1", 0, 200, annotation=True),  # a range on the GPU's timeline, not work
    ])
    events._build_tree()
    old = sum(e.self_device_time_total for e in events.key_averages())  # bench's sum before issue 24
    assert old == 60 + 90 + 200  # the kernels twice (in their CPU op and as themselves), and the range
    kernels, busy, count = device_time(events)
    assert (kernels, busy, count) == (90, 70, 3)  # 30 + 30 + 30 summed; [10, 80] covered


def test_device_time_without_device_events_is_zero():
    assert device_time(EventList([_event("aten::add", 0, 5, DeviceType.CPU)])) == (0, 0.0, 0)


def test_training_flops_are_six_per_forward_multiply_add():
    cfg = make_config("paper", {"model": "cifar_resnet56"})
    assert FLOPS_PER_MAC_TRAINING == 6
    assert training_flops_per_image(cfg) == 6 * describe("cifar_resnet56")["macs"]  # about 0.75 GFLOP
    small = make_config("imagenet_quick", {"model": "resnet18", "image_size": 112})
    assert training_flops_per_image(small) == 6 * count_macs(create_model("resnet18"), (3, 112, 112))  # its crop
    assert training_flops_per_image(make_config("imagenet_quick", {"model": "resnet18", "image_size": 224})) == \
        6 * describe("resnet18")["macs"]


def test_bench_reports_flops_warmup_and_an_unprofiled_wall_time_on_cpu(cifar_dir, tmp_path, capsys):
    path = tmp_path / "bench.json"
    assert main(["bench", "--model", "cifar_resnet8", "--data-dir", str(cifar_dir), "--device", "cpu", "--steps", "2",
                 "--warmup", "1", "--batch-size", "16", "--engine-only", "--profile", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert "GFLOP/s effective (6 FLOPs per multiply-add" in out and "warm-up, not timed: 1 step in" in out
    assert "the profiler saw no device kernels" in out
    result = json.loads(path.read_text())
    assert result["training_flops_per_image"] == 6 * describe("cifar_resnet8")["macs"]
    assert result["engine_tflops"] == pytest.approx(
        result["engine_images_per_second"] * result["training_flops_per_image"] / 1e12, rel=1e-2, abs=1e-4)
    assert result["warmup_seconds"] > 0
    profile = result["profile"]
    assert profile["steps"] == 2 and profile["device_events"] == 0 and profile["busy_share"] is None
    assert profile["wall_ms_per_step"] == pytest.approx(1e3 * 16 / result["engine_images_per_second"], rel=1e-2)


def test_compiled_bench_without_warmup_is_refused(cifar_dir, capsys):
    code = main(["bench", "--model", "cifar_resnet8", "--data-dir", str(cifar_dir), "--device", "cpu",
                 "--engine-only", "--compile", "--warmup", "0", "--steps", "1"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "--warmup 1 or more" in err, err

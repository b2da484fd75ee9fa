"""A run's ``Parts``, built from its config: device, data on the device, net, SGD and precision."""

from __future__ import annotations

import torch

from ..config import TrainConfig
from ..data import make_loaders
from ..errors import StudyError
from ..models import create_model
from .device import join_process_group, resolve_device
from .optimizer import make_optimizer
from .precision import Precision, device_precision, requested_precision
from .speed import compile_network
from .state import Parts


def build_model(cfg: TrainConfig, num_classes: int | None = None) -> torch.nn.Module:
    """The run's network: ``cfg.model.name`` with its shortcut option and the data set's class count."""
    return create_model(cfg.model.name, **cfg.model.kwargs(num_classes))


def build_parts(given: TrainConfig, rank: int, world: int, local_rank: int, log, make_model=None) -> Parts:
    """The parts of a run of ``given`` in process ``rank`` of ``world`` (``local_rank`` on its
    machine); ``make_model()`` builds the net instead of ``given.model.name``. The data's notes go to
    ``log``; one sentence for a batch that does not split across the processes. Writes nothing."""
    device = join_process_group(resolve_device(given.run.device), local_rank, world)
    if given.optim.batch_size % world:
        raise StudyError(f"batch size {given.optim.batch_size} does not split evenly across {world} processes")
    cuda = device.type == "cuda"
    loaders = make_loaders(given, device, rank, world)
    for note in loaders.notes:
        log(f"warning: {note}")
    cfg = given.resolved(loaders.train_images)  # the schedule, once the training set's size is known
    torch.manual_seed(cfg.run.seed)
    model = (make_model or (lambda: build_model(cfg, loaders.description.get("classes"))))().to(device)
    torch.backends.cudnn.benchmark = cuda
    if cfg.run.channels_last:  # faster convolutions with cuDNN and with oneDNN on CPUs
        model = model.to(memory_format=torch.channels_last)
    optimizer = make_optimizer(model, cfg, device)  # SGD of sections 3.4, 4.2, safe under fp16's scaler
    network = model
    if world > 1:
        network = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if cuda else None)
    forward = compile_network(network, cfg, device, world)
    precision = Precision.on(device_precision(requested_precision(cfg), device), device)
    return Parts(cfg, device, loaders, model, forward, optimizer, precision)

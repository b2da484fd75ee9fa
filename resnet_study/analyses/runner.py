"""One analysis run: images, device and precision resolved, its table opened under the folder's lock,
how long it will take here said before it starts (``estimate``), the analysis computed into it, and
``run.json`` written with the time, images/s and the estimate beside them."""

from __future__ import annotations

import hashlib
import time
from importlib import import_module
from pathlib import Path

from ..training.device import device_name, resolve_device
from .estimate import estimate
from .images import choose_precision, fixed_images
from .nets import NetSpec
from .provenance import Provenance
from .table import ResultsTable, writing

# analysis -> (module, its run function); each module has COLUMNS and KEY for its table, and ``plan``
# (the work left, in the units its run function returns) and ``probe`` (its timed step) for the estimate.
MODULES = {"landscape": "landscape", "lesion": "lesion", "shatter": "shatter", "degeneracy": "degeneracy"}
RUNS = {"landscape": "run_landscape", "lesion": "run_lesions", "shatter": "run_shatter",
        "degeneracy": "run_degeneracy"}


def run(analysis: str, specs: list[NetSpec], data_dir: str | Path, out: str | Path, *, images: int, seed: int,
        device: str, precision: str, batch_size: int, options: dict, log=print) -> Path:
    """Compute ``analysis`` for ``specs`` into ``out/<analysis>.csv``; returns the table's path.
    A rerun with the same settings goes on where a killed one stopped."""
    module = import_module(f".{MODULES[analysis]}", __package__)
    dev = resolve_device(device)
    # Gradients and "never active" are measured at fp32 (see their modules' docstrings).
    precision = "fp32" if analysis in ("shatter", "degeneracy") else choose_precision(precision, dev)
    count = max(images, 2 * options.get("lines", 0))
    image_set = fixed_images(data_dir, count, seed)
    # The images by content, not by path: the same images in another folder resume the same table.
    digest = hashlib.sha1(image_set.images.tobytes() + image_set.labels.astype("int64").tobytes()).hexdigest()
    settings = dict(analysis=analysis, images_sha1=digest[:16], images=count, seed=seed, precision=precision,
                    **options)
    out = Path(out)
    with writing(out):
        table = ResultsTable(out / f"{analysis}.csv", module.COLUMNS, module.KEY, settings)
        provenance = Provenance(out, analysis, dict(settings, data=str(Path(image_set.folder).resolve()),
                                                    training_images_in_folder=len(image_set.train)),
                                [s.label for s in specs], dev, precision)
        with table:
            work = module.plan(specs, count, table, seed=seed, **options)
            batch = min(getattr(module, "PROBE_BATCH", batch_size), batch_size, count)
            where = provenance.record["cpu"] if dev.type == "cpu" else device_name(dev)
            planned = estimate(analysis, work, module, image_set.images, image_set.labels, batch, precision, dev,
                               where, resumed=bool(table.done()))
            log(planned.line)
            start = time.perf_counter()
            passes = getattr(module, RUNS[analysis])(specs, image_set, table, seed=seed, precision=precision,
                                                     batch_size=batch_size, device=dev, log=log, **options)
        session = provenance.finish(passes, estimate=dict(estimated_seconds=round(planned.seconds, 2),
                                                          computing_seconds=round(time.perf_counter() - start, 2),
                                                          planned_passes=planned.passes))
    log(f"{analysis}: {session['seconds']:.0f} s, of them {session['computing_seconds']:.0f} s computing (estimated "
        f"{planned.seconds:.0f} s), "
        f"{session['images_per_second']:.0f} images/s "
        f"({session['cpu']}, {session['threads']} threads, {precision}); written: {out / f'{analysis}.csv'}")
    return out / f"{analysis}.csv"

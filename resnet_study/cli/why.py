"""``resnet-study landscape | lesion | shatter | degeneracy``: why shortcuts help, in the analyses that
followed the paper (Li et al. 2018, Veit et al. 2016, Balduzzi et al. 2017, Orhan & Pitkow 2018), on
the published twins or any net. Each writes one resumable table into ``--out`` (default
``results/why/<analysis>``) with ``run.json`` (provenance, time, images/s) beside it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import StudyError

TWINS_20_56 = [f"cifar_{k}{d}.wooyeolbaek" for d in (56, 20) for k in ("plain", "resnet")]  # the headline first
ALL_TWINS = [f"cifar_{k}{d}.wooyeolbaek" for d in (20, 32, 44, 56) for k in ("plain", "resnet")]
AKAMASTER = [f"cifar_resnet{d}.akamaster" for d in (20, 32, 44, 56, 110)]
ANALYSES = {  # name: (help, default nets, default images)
    "landscape": ("loss surface around the trained weights along shared random directions (Li et al. 2018)",
                  TWINS_20_56, 1000),
    "lesion": ("error with blocks deleted at test time, singly and at random (Veit et al. 2016)",
               TWINS_20_56 + ["cifar_resnet110.akamaster"], 1000),
    "shatter": ("correlation of input gradients along a line of inputs, at init and trained (Balduzzi et al. 2017)",
                ALL_TWINS + AKAMASTER, 256),
    "degeneracy": ("dead channels, collapsed BN scales, effective rank, duplicate channels (Orhan & Pitkow 2018)",
                   ALL_TWINS, 1000),
}


def _ints(text: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def add_parser(sub) -> None:
    for name, (text, nets, images) in ANALYSES.items():
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("--nets", default=",".join(nets),
                       help="comma-separated nets: cifar_plain56.wooyeolbaek (net.tag), a run folder, or a bare "
                            "name for the net at initialisation (default: %(default)s; published files missing "
                            "from torch.hub's cache are skipped with a line)")
        p.add_argument("--data-dir", required=True, help="folder holding cifar-10-batches-py/ (its training images)")
        p.add_argument("--out", help=f"results folder (default results/why/{name})")
        p.add_argument("--seed", type=int, default=0, help="seed of the images, directions, draws (default 0)")
        p.add_argument("--device", default="auto", help="auto, cpu or cuda[:N] (default auto)")
        p.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16", "fp16"],
                       help="autocast (default auto: the device's fastest)")
        p.add_argument("--batch-size", type=int, default=500, help="images per forward pass (default 500)")
        if images:
            p.add_argument("--images", type=int, default=images, help="training images used (default %(default)s)")
        p.set_defaults(func=run, analysis=name)
    land = sub.choices["landscape"]
    land.add_argument("--grid", type=int, default=21, help="points per axis of the 2-D grid (default 21)")
    land.add_argument("--span", type=float, default=1.0, help="the grid covers [-span, span]^2 (default 1)")
    lesion = sub.choices["lesion"]
    lesion.add_argument("--max-k", type=int, help="most blocks deleted at random (default: half of each net's)")
    lesion.add_argument("--draws", type=int, default=5, help="random sets per k (default 5)")
    shatter = sub.choices["shatter"]
    shatter.add_argument("--init-depths", type=_ints, default=[20, 32, 44, 56, 110],
                         help="depths of the plain and residual nets at initialisation (default 20,...,110)")
    shatter.add_argument("--seeds", type=_ints, default=[0, 1, 2], help="initialisation seeds (default 0,1,2)")
    shatter.add_argument("--points", type=int, default=256, help="inputs on each line (default 256)")
    shatter.add_argument("--lines", type=int, default=4, help="lines between pairs of real images (default 4)")
    shatter.add_argument("--max-lag", type=int, default=32, help="largest lag of the autocorrelation (default 32)")
    degeneracy = sub.choices["degeneracy"]
    degeneracy.add_argument("--gamma-near-zero", type=float, default=0.01, help="|gamma| below this is collapsed")


def _specs(text: str, log) -> list:
    from ..analyses.nets import parse_net
    from ..models import is_cached, published_weights

    specs = []
    for net in [n.strip() for n in text.split(",") if n.strip()]:
        spec = parse_net(net)
        if spec.weights and spec.weights in ("akamaster", "wooyeolbaek"):
            entry = published_weights(spec.weights, spec.model)
            if not is_cached(entry):
                log(f"skipped {spec.label}: not in torch.hub's cache (resnet-study weights says where it goes)")
                continue
        specs.append(spec)
    if not specs:
        raise StudyError("no net to analyse: every net given is missing from torch.hub's cache")
    return specs


def _check(args) -> dict:
    """The analysis's own settings, checked: one sentence for a grid under 3 points and the like."""
    if args.batch_size < 1:
        raise StudyError(f"--batch-size must be at least 1; got {args.batch_size}")
    if args.analysis == "landscape":
        if args.grid < 3:
            raise StudyError(f"--grid {args.grid} has fewer than 3 points per axis; curvature needs at least 3")
        if args.span <= 0:
            raise StudyError(f"--span must be positive; got {args.span}")
        return dict(grid=args.grid, span=args.span)
    if args.analysis == "lesion":
        if args.max_k is not None and args.max_k < 1 or args.draws < 1:
            raise StudyError("--max-k and --draws must be at least 1")
        return dict(max_k=args.max_k, draws=args.draws)
    if args.analysis == "shatter":
        if args.points < 3 or args.lines < 1 or not 1 <= args.max_lag < args.points:
            raise StudyError("shatter needs --points >= 3, --lines >= 1 and 1 <= --max-lag < --points")
        return dict(init_depths=args.init_depths, seeds=args.seeds, points=args.points, lines=args.lines,
                    max_lag=args.max_lag)
    return dict(gamma_near_zero=args.gamma_near_zero)


def run(args: argparse.Namespace) -> None:
    options = _check(args)
    specs = _specs(args.nets, print)
    for spec in specs if args.analysis == "lesion" and args.max_k else []:
        blocks = (spec.depth - 2) // 2  # 3 stages of n two-layer blocks (section 4.2)
        if args.max_k > blocks:
            raise StudyError(f"--max-k {args.max_k} deletes more blocks than {spec.label} has ({blocks})")
    from ..analyses import runner

    out = Path(args.out or Path("results/why") / args.analysis)
    runner.run(args.analysis, specs, args.data_dir, out, images=getattr(args, "images", 0), seed=args.seed,
               device=args.device, precision=args.precision, batch_size=args.batch_size, options=options)

"""torch.hub entry points: the paper's nets, untrained or with published weights.

    net = torch.hub.load("resnet-study/resnet-study", "cifar_plain56", weights="wooyeolbaek")
    net = torch.hub.load("resnet-study/resnet-study", "resnet34")              # untrained, Table 1
    net = torch.hub.load("resnet-study/resnet-study", "create_model", "cifar_plain14")  # any depth

One entry per net of ``resnet_study.models.list_models()``: the CIFAR-10 nets of Table 6 (plain and
residual, 20 to 1202 layers) and the ImageNet nets of Table 1 (18 to 152 layers). ``weights`` is
None (an untrained net) or a tag that publishes that net (``torch.hub.help`` lists them: akamaster's
ResNets, wooyeolBaek's plain nets and ResNets); the file comes into torch.hub's cache and its sha256
is checked, as ``create_model(name, weights=tag)`` does, which each entry calls. Other keywords are
the net's options (``shortcut="B"``, ``download=False``, ...). Published nets expect their authors'
input normalisation (``resnet_study.models.published_weights(tag, name).normalize_note``).
"""

from resnet_study.errors import StudyError as _StudyError
from resnet_study.models import create_model, list_models as _list_models, list_weights as _list_weights

dependencies = ["torch"]


def _tags(name: str) -> dict[str, object]:
    return {entry.tag: entry for entry in _list_weights(name)}


def _check_tag(name: str, weights: str) -> str:
    """``weights`` as the tag that publishes ``name``, or ``StudyError`` in one sentence."""
    tags = _tags(name)
    tag = weights.lower() if isinstance(weights, str) else weights
    if tag in tags:
        return tag
    if not tags:
        raise _StudyError(f"no published weights of {name} are known, so weights={weights!r} cannot load; "
                          f"weights=None gives an untrained {name}, and create_model({name!r}, weights=PATH) "
                          f"loads a file")
    raise _StudyError(f"{weights!r} is no published tag of {name}; its tags are {', '.join(tags)}, and "
                      f"weights=None gives an untrained net")


def _describe(name: str) -> str:
    tags = _tags(name)
    said = "None (untrained) or a published tag" if tags else "None (untrained)"
    lines = [f"{name}: weights={said}; other keywords are the net's options.", ""]
    for tag, entry in tags.items():
        stated = "no test error stated" if entry.stated_error is None else f"stated test error {entry.stated_error}%"
        lines.append(f"    weights={tag!r}: {entry.repository} (licence: {entry.license.split(' (')[0]}); {stated}; "
                     f"inputs: {entry.normalize_note}")
    if not tags:
        lines.append("    no published weights: create_model(name, weights=PATH) loads a file of a known layout")
    return "\n".join(lines)


def _entry(name: str):
    def load(weights: str | None = None, **kwargs):
        return create_model(name, weights=None if weights is None else _check_tag(name, weights), **kwargs)

    load.__name__ = load.__qualname__ = name
    load.__doc__ = _describe(name)
    return load


globals().update({_name: _entry(_name) for _name in _list_models()})

"""Training configuration by concern: ``TrainConfig`` = ``model`` (a name and the options passed to
``create_model`` unchanged), ``data``, ``optim`` and ``run``; presets by name; strict overrides by
flat key (``KEYS``); one ``migrate`` for older keys. Imports no torch.

- ``values``: the value types (``Literal`` for closed sets), their checks and their words;
- ``schema``: the dataclasses and the flat key of each field;
- ``make``: configs from presets and overrides, and from what run folders saved.
"""

from ..presets import PRESETS
from .make import (ADDED, LEGACY, RENAMED, config_from_saved, make_config, migrate, read_config_file,
                   saved_config)
from .schema import (KEYS, SECTIONS, DataConfig, ModelConfig, OptimConfig, RunConfig, TrainConfig, key_default,
                     key_type)
from .values import PRECISIONS, check_device, check_value, epochs, option_value, parse_pairs, parse_text, type_name

__all__ = ["ADDED", "KEYS", "LEGACY", "PRECISIONS", "PRESETS", "RENAMED", "SECTIONS", "DataConfig", "ModelConfig",
           "OptimConfig", "RunConfig", "TrainConfig", "check_device", "check_value", "config_from_saved", "epochs",
           "key_default", "key_type", "make_config", "migrate", "option_value", "parse_pairs", "parse_text",
           "read_config_file", "saved_config", "type_name"]

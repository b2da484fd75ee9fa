"""``python -m resnet_study.cli``: what torchrun and the tests start."""

import sys

from . import main

sys.exit(main())

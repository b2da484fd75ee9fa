"""resnet-study: paired plain and residual networks reproducing He et al. (2015)'s degradation result."""

__version__ = "0.1.0"

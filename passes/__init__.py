"""QMK passes: verification, analysis and optimization over QVM programs (``qmk.passes``)."""

from .registry import PassContext, PassInfo, all_passes, get, register  # noqa: F401

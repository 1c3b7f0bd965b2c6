"""The QMK command-line tools: one small module per command, sharing ``qmk.cli.common``."""

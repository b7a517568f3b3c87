"""The names ``negsim.results`` has always offered: the ``Result`` record
(``negsim.record``) and the output helpers (``negsim.output``)."""

from negsim.output import OUTPUT_FILES, OutputError, atomic_write, check_output_dir, save_run
from negsim.record import Result

__all__ = ["OUTPUT_FILES", "OutputError", "Result", "atomic_write", "check_output_dir", "save_run"]

"""nx5d adapter for PETRA III FIO files with their detector frames."""

from .adapter import FioRepository, FioScan
from .parser import FioFormatError, parse_fio

__all__ = ["FioFormatError", "FioRepository", "FioScan", "parse_fio"]

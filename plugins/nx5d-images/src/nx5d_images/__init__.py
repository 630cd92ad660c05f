"""nx5d adapter for detector image files and numbered series, read through fabio."""

from .adapter import ImagesRepository, ImagesScan
from .series import Series, group_series

__all__ = ["ImagesRepository", "ImagesScan", "Series", "group_series"]

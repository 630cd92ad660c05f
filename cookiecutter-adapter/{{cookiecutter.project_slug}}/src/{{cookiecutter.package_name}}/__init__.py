"""nx5d adapter for {{ cookiecutter.facility }} {{ cookiecutter.beamline }}."""

from .adapter import FacilityProposal, FacilityRepository, FacilityScan

__all__ = ["FacilityProposal", "FacilityRepository", "FacilityScan"]
__version__ = "0.1.0"

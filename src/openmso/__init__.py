"""OpenMSO: the operating platform of a healthcare management services organization."""

__version__ = "0.1.0"

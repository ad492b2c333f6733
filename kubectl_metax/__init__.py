"""kubectl-metax: diagnose, clean up and check images for the MetaX GPU Operator."""

__version__ = "0.1.0"

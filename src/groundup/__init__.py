"""groundup: deep learning from first principles, three ways that agree number for number."""

__version__ = "0.1.0"

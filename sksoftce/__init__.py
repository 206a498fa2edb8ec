"""scikit-learn compatible classifiers trained on soft labels with BCE or CCE."""

from ._classifier import SoftLabelClassifier

__all__ = ["SoftLabelClassifier"]
__version__ = "0.1.0.dev0"

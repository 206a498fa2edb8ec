"""scikit-learn compatible classifiers trained on soft labels with BCE or CCE."""

from ._classifier import SoftLabelClassifier
from ._distillation import DistillationClassifier
from ._mixup import MixupTransformer

__all__ = ["DistillationClassifier", "MixupTransformer", "SoftLabelClassifier"]
__version__ = "0.1.0.dev0"

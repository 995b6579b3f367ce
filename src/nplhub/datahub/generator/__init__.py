"""The demo portfolio generator, one module per concept; the public API is nplhub.datahub.generate."""

from nplhub.datahub.generator.truth import Tape, Truth

__all__ = ["Tape", "Truth"]

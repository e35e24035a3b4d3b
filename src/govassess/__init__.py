"""govassess: 数字政府绩效评估平台. The domain core imports no web framework."""

__version__ = "0.1.0"

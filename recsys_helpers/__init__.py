"""Helpers behind the notebook book on pretrained language models in e-commerce search and
recommendation. Each module has one job; the notebooks show the steps and call these for the
heavy lifting."""

__version__ = "0.1.0"

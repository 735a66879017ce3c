"""Datasets: synthetic generators, the shipped CSV, and loaders for local files."""

__all__: list[str] = []

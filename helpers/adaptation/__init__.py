"""Unsupervised domain adaptation: one module per method, sharing backbone, data, loop and evaluation."""

"""Evaluation: zero-shot accuracy (and, later, deletion/insertion, augmentation, bootstrap, ground truth)."""

"""Representation learning: classification (model A vs ResNet18, features over epochs) and BYOL settings A-E."""

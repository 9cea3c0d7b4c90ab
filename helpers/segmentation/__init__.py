"""Semantic segmentation (DLCV HW1 P3): data, FCN32s and DeepLabV3, mIoU, RGB masks, training."""

"""GANs: DCGAN, WGAN, WGAN-GP, SNGAN, mode collapse and its mitigation, ACGAN."""

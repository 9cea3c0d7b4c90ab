"""Denoising diffusion: DDPM and conditional DDPM with classifier-free guidance. The process (noise schedule,
forward noising, DDPM and DDIM steps, guidance) never imports a network."""

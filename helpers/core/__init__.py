"""What every problem family shares: configuration, runtime, checkpoints, the training loop, images, the weight
average, plots and embeddings. Imports no family."""

"""Networks, each a plain PyTorch module whose print-out reads like the architecture in the report."""

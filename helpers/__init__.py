"""dlcv-report helpers: data, models, training, metrics, plots and the report."""

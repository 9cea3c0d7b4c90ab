"""The report: each notebook's metrics.json, its HTML rendering, and the combined report.html."""

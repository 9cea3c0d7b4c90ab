"""Measures of generated images every generative notebook shares: the suite's digit classifier ("judge"),
classifier FID and Inception FID."""

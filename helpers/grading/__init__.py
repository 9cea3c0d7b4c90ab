"""Measures of generated images every generative notebook shares: the suite's digit classifier ("judge"),
classifier FID, Inception FID, the label-free random-feature FID and the course's face score."""

"""``predictor drift``: captured requests against the training data's reference profile."""

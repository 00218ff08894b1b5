"""scikit-learn: its bundled UCI data sets, as named training data."""

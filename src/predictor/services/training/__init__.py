"""Training: load -> check -> prepare -> tune or fit -> evaluate -> track -> register -> promote."""

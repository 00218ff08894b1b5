"""Client values, rows and tables -> the validated float32 matrix a model reads, every bad field reported."""

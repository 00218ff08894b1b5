"""Local files: CSV and Parquet tables, the on-disk model cache and exported model directories."""

"""Dask (``distributed``): batch scoring on a cluster. The only package that imports dask."""

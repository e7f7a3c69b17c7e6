"""The benchmark data set: real Home Assistant text, clustered vectors, queries, ground truth."""

"""HTTP: the file server and its pure HTTP helpers."""

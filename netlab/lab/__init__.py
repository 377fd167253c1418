"""Lab files: configs serialised, versioned, and saved with an exercise text."""

SUFFIX = ".netlab"  # here, not in labfile.py, so the CLI can spot a lab without importing the converter

"""Lab files: configs serialised, versioned, and saved with an exercise text."""

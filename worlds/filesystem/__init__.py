"""GorillaFileSystem: the BFCL in-memory file tree, worked one directory level at a time."""

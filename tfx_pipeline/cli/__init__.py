"""The `recsys` command line: one entry point, one module per sub-command."""

"""The `atlass` command: one entry point whose subcommands each belong to one layer."""

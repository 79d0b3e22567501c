"""Configuration: the typed schema validated once at the edge (schema.py), where configurations
come from (text.py: presets, TOML files, overrides), saved configurations of older runs in
today's keys (migration.py), and the memory check of a run before anything is allocated
(run_size.py)."""

"""The shared index in Chroma (chroma.py), its change log, its writer's lock and its writer."""

"""Benchmarks of GDI IMS (not tests): each module prints its figures and a ratio to a baseline."""

"""Demo data: users, residents, cards and compilation figures, and the `seed_demo` command.

The top floor: it may import every app, and no app imports it (the benchmarks use it too).
"""

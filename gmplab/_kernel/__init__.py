"""The numba kernel: arrays only, no Python objects in hot loops."""

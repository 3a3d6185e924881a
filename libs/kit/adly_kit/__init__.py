"""The shared library of every ADLY service: one copy of what all six need."""

"""Adapter: the ``gongkai`` command line (CONTRACT section 1) and the documentation generated from it."""

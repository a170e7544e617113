"""Adapter support: Prefect's environment and supervised child processes (the local Prefect server)."""

"""Prefect tasks: one step or one side effect each (load, compute in batch, render, send, store)."""

"""Executors: how shards are spread over processes (local pool today)."""

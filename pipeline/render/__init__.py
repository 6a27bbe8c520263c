"""Outputs: burned and muxed cuts, their verification, atomic writes and the manifest."""

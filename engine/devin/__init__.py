"""Devin REST API v1: the client, the status mapping and the prompt we send."""

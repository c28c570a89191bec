"""Executing a run: dispatch waves of sessions, poll them, gate, retry, record."""

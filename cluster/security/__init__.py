"""Secrets: where variables and connections come from, their encryption at rest, and the
masker that keeps them out of output."""

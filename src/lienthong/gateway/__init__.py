"""The agency gateway ("security server"): signs outgoing packages, verifies incoming ones,
talks to the hub over mutual TLS, and offers the document software a small local API."""

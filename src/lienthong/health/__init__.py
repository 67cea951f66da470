"""Liveness and readiness of a hub process (``/livez``, ``/readyz``), shown by ``/metrics``
and the monitoring centre."""

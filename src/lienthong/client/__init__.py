"""Clients of the hub: the REST API (:mod:`lienthong.client.rest`) and the axis protocol."""

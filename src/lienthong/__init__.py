"""lienthong: the interconnection layer of Vietnam's e-government.

Domains live in sub-packages (``agencies``, ``edxml``, ``exchange``, ...), each with the same
rooms: ``model.py`` (pure rules), ``store.py`` (tables and queries), ``service.py`` (use cases,
one transaction each), ``api.py`` (HTTP), ``pages.py`` (screens), ``cli.py`` (commands).
"""

__version__ = "0.1.0"

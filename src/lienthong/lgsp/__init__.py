"""The provincial platform API (LGSP style): OAuth2 client credentials, then ``vanbans`` and
``donvilienthongs`` under ``/truclienthong/v1.0.0``, over the same intake as the other
protocols. See :mod:`lienthong.lgsp.api` and ``docs/lgsp.md``."""

"""Trust: the test PKI, XML signatures on packages, certificate checks and the hub's policy.

Modules: ``pki`` (demo PKI), ``responder`` (OCSP + CRL over HTTP), ``xmldsig`` (sign/verify
packages), ``certs`` (path, validity, key usage, revocation with a cache), ``report`` (the
validation report of Circular 41 Art. 7), ``policy`` (the hub's ``PackageVerifier``),
``store`` (revocation answers), ``cli`` (``lienthong pki``), ``receipts`` (signed receipts).
"""

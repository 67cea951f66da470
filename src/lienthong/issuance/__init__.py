"""Issuance of outgoing documents: numbering from the annual register (Decree 30/2020/NĐ-CP
Art. 25), the organisation's signature, and sending through the hub."""

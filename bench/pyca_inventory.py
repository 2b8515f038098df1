#!/usr/bin/env python3
"""Peer baseline: the same inventory with pyca/cryptography (parse, CN, not_after, days left,
SHA-256 fingerprint) for every file under DIR, printed as JSON like `certdeck list --json`."""
import datetime
import json
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID


def main(root):
    now = datetime.datetime.now(datetime.timezone.utc)
    items = []
    for dirpath, _, files in os.walk(root):
        for name in sorted(files):
            path = os.path.join(dirpath, name)
            try:
                with open(path, "rb") as f:
                    data = f.read()
                cert = x509.load_pem_x509_certificate(data)
                cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
                na = cert.not_valid_after_utc
                items.append({
                    "path": os.path.relpath(path, root),
                    "common_name": cn[0].value if cn else None,
                    "not_after": na.isoformat(),
                    "days_left": (na - now).days,
                    "sha256": cert.fingerprint(hashes.SHA256()).hex(),
                })
            except Exception as e:  # noqa: BLE001 - an inventory reports, never stops
                items.append({"path": path, "error": str(e)})
    json.dump({"store": root, "items": items}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])

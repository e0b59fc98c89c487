#!/usr/bin/python3
"""Drives the official Azure Storage SDK for Python (Debian python3-azure) for the interop tests.

Reads one JSON request on stdin:
  {"mode": "upload" | "download", "connectionString": str, "container": str,
   "privateKeyPem": str, "kid": str,
   "cases": [{"blob": str, "file": str, "algorithm": "RSA-OAEP" | "RSA-OAEP-256"}]}
upload:   encrypts each file with client-side encryption v2 (the SDK's own code) and uploads it.
download: downloads each blob, lets the SDK decrypt it, and writes the plaintext to "file".
Writes one JSON object on stdout: {"results": [...]} with, per case, what the test checks.
"""
import json
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from azure.storage.blob import BlobClient, ContainerClient


def oaep(algorithm):
    digest = {"RSA-OAEP": hashes.SHA1(), "RSA-OAEP-256": hashes.SHA256()}[algorithm]
    return padding.OAEP(mgf=padding.MGF1(algorithm=digest), algorithm=digest, label=None)


class RsaKek:
    """The key-encryption-key interface the SDK expects (wrap_key, unwrap_key, get_kid, get_key_wrap_algorithm)."""

    def __init__(self, private_key, kid, algorithm):
        self.private_key = private_key
        self.kid = kid
        self.algorithm = algorithm
        self.wrapped_inputs = []

    def wrap_key(self, key):
        self.wrapped_inputs.append(bytes(key))
        return self.private_key.public_key().encrypt(key, oaep(self.algorithm))

    def unwrap_key(self, key, algorithm):
        return self.private_key.decrypt(key, oaep(algorithm))

    def get_kid(self):
        return self.kid

    def get_key_wrap_algorithm(self):
        return self.algorithm


def main():
    request = json.load(sys.stdin)
    private_key = serialization.load_pem_private_key(request["privateKeyPem"].encode(), password=None)
    if request["mode"] == "upload":
        container = ContainerClient.from_connection_string(request["connectionString"], request["container"])
        if not container.exists():
            container.create_container()
    results = []
    for case in request["cases"]:
        kek = RsaKek(private_key, request["kid"], case["algorithm"])
        client = BlobClient.from_connection_string(
            request["connectionString"], request["container"], case["blob"],
            require_encryption=True, key_encryption_key=kek, encryption_version="2.0")
        if request["mode"] == "upload":
            with open(case["file"], "rb") as source:
                client.upload_blob(source.read(), overwrite=True)
            wrapped = kek.wrapped_inputs[0]
            results.append({"blob": case["blob"], "wrapInputPrefixHex": wrapped[:8].hex(), "wrapInputLength": len(wrapped)})
        else:
            data = client.download_blob().readall()
            with open(case["file"], "wb") as target:
                target.write(data)
            results.append({"blob": case["blob"], "length": len(data)})
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    main()

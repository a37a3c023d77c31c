"""PIN encryption with the stage's KMS key (P27). The encryption context binds each
ciphertext to its SKU and PIN id, so a ciphertext copied onto another item fails."""
from __future__ import annotations

import base64


class KmsPinVault:
    def __init__(self, key_alias: str) -> None:
        self._key_alias = key_alias

    def encrypt(self, plain: str, sku: str, pin_id: str) -> str:
        from shared import aws

        result = aws.client("kms").encrypt(KeyId=self._key_alias, Plaintext=plain.encode(),
                                           EncryptionContext={"sku": sku, "pin_id": pin_id})
        return base64.b64encode(result["CiphertextBlob"]).decode()

    def decrypt(self, cipher: str, sku: str, pin_id: str) -> str:
        from shared import aws

        result = aws.client("kms").decrypt(CiphertextBlob=base64.b64decode(cipher),
                                           EncryptionContext={"sku": sku, "pin_id": pin_id})
        return result["Plaintext"].decode()

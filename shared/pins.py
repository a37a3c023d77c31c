"""PIN encryption with the stage's KMS key (P27). The encryption context binds each
ciphertext to its SKU and PIN id, so a ciphertext copied onto another item fails."""
from __future__ import annotations

import base64


class KmsPinVault:
    def __init__(self, key_alias: str, mac_key_alias: str) -> None:
        self._key_alias = key_alias
        self._mac_key_alias = mac_key_alias

    def mac(self, sku: str, pin: str) -> str:
        """A keyed MAC of (sku, PIN), computed inside KMS: it tells a PIN seen before
        without storing anything from which the PIN could be guessed."""
        from shared import aws

        result = aws.client("kms").generate_mac(KeyId=self._mac_key_alias, MacAlgorithm="HMAC_SHA_256",
                                                Message=f"{sku}\n{pin}".encode())
        return base64.urlsafe_b64encode(result["Mac"]).decode().rstrip("=")

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

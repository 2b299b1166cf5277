"""
Computes the lost-mode vectors of docs/vectors.json, notices (docs/protocol.md §13),
self-reports (§14) and a channel message (§17), with Python's `cryptography` (OpenSSL), an
implementation independent of crypto/, so that the vectors check the TypeScript code rather
than repeat it. Prints the `notices`, `self_reports` and `channel` entries of docs/vectors.json:
    python3 scripts/lost-mode-vectors.py
(The channel message's HPKE encapsulation is random: each run prints another, equally valid one.)
"""
import base64
import hashlib
import json
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFF16A2E0B8F03E13DD29455C5C2A3D


def x963(secret: bytes, info: bytes, length: int) -> bytes:
    out, counter = b"", 1
    while len(out) < length:
        out += hashlib.sha256(secret + struct.pack(">I", counter) + info).digest()
        counter += 1
    return out[:length]


def notice_vector(private_key_hex: str, message: str, contact: str, kind: int, expires_at: int, nonce_hex: str):
    d = int(private_key_hex, 16)
    key = ec.derive_private_key(d, ec.SECP224R1())
    adv_key = key.public_key().public_numbers().x.to_bytes(28, "big")
    hashed_id = hashlib.sha256(adv_key).digest()
    contact_b, message_b = contact.encode(), message.encode()
    body = (
        bytes([1])
        + struct.pack(">I", expires_at)
        + bytes([kind, len(contact_b)])
        + contact_b.ljust(64, b"\0")
        + bytes([len(message_b)])
        + message_b.ljust(200, b"\0")
    )
    signed = b"crowdfind notice v1" + hashed_id + body
    der = key.sign(signed, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    s = min(s, N - s)  # low-S form, as the TypeScript signer writes it
    signature = r.to_bytes(28, "big") + s.to_bytes(28, "big")
    notice_key = x963(adv_key, b"crowdfind notice key", 32)
    nonce = bytes.fromhex(nonce_hex)
    aad = hashed_id + struct.pack(">I", expires_at)
    sealed = nonce + AESGCM(notice_key).encrypt(nonce, body + signature, aad)
    token = x963(bytes.fromhex(private_key_hex), b"crowdfind notice withdraw", 32)
    return {
        "name": "N1",
        "inputs": {
            "private_key_hex": private_key_hex,
            "message": message,
            "contact": contact,
            "contact_kind": "phone" if kind == 1 else "email",
            "expires_at": expires_at,
            "nonce_hex": nonce_hex,
        },
        "intermediate": {
            "adv_key_hex": adv_key.hex(),
            "hashed_id_b64": base64.b64encode(hashed_id).decode(),
            "notice_key_hex": notice_key.hex(),
            "associated_data_hex": aad.hex(),
            "plaintext_before_signature_hex": body.hex(),
            "signature_hex": signature.hex(),
        },
        "notice_hex": sealed.hex(),
        "withdraw_token_hex": token.hex(),
        "withdraw_hash_hex": hashlib.sha256(token).hexdigest(),
    }


APPLE_EPOCH = 978307200


def self_report_vector(private_key_hex: str, timestamp: int, latitude: float, longitude: float, accuracy: int):
    d = int(private_key_hex, 16)
    owner = ec.derive_private_key(d, ec.SECP224R1())
    location = struct.pack(">iiBB", round(latitude * 1e7), round(longitude * 1e7), accuracy, 0)
    info = b"crowdfind self-report" + struct.pack(">I", timestamp) + location
    e = int.from_bytes(x963(bytes.fromhex(private_key_hex), info, 36), "big") % (N - 1) + 1
    ephemeral = ec.derive_private_key(e, ec.SECP224R1())
    numbers = ephemeral.public_key().public_numbers()
    ephemeral_public = b"\x04" + numbers.x.to_bytes(28, "big") + numbers.y.to_bytes(28, "big")
    shared = ephemeral.exchange(ec.ECDH(), owner.public_key())
    derived = x963(shared, ephemeral_public, 32)
    sealed = AESGCM(derived[:16]).encrypt(derived[16:], location, None)
    confidence = 3
    payload = struct.pack(">I", timestamp - APPLE_EPOCH) + bytes([confidence]) + ephemeral_public + sealed
    return {
        "name": "S1",
        "inputs": {
            "private_key_hex": private_key_hex,
            "timestamp_unix": timestamp,
            "latitude": latitude,
            "longitude": longitude,
            "accuracy": accuracy,
            "status": 0,
            "confidence": confidence,
        },
        "intermediate": {
            "shared_info_hex": info.hex(),
            "ephemeral_private_key_hex": e.to_bytes(28, "big").hex(),
            "ephemeral_public_uncompressed_hex": ephemeral_public.hex(),
        },
        "payload_88_hex": payload.hex(),
    }


def channel_vector():
    from cryptography.hazmat.primitives import hpke, serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    import hmac as hmac_module

    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    seed = lambda label: hashlib.sha256(label.encode()).digest()
    secret = bytes([7]) * 32
    owner_signing = Ed25519PrivateKey.from_private_bytes(seed("owner signing"))
    owner_encryption = X25519PrivateKey.from_private_bytes(seed("owner encryption"))
    device_signing = Ed25519PrivateKey.from_private_bytes(seed("device signing"))
    device_encryption = X25519PrivateKey.from_private_bytes(seed("device encryption"))
    day = 20000
    capability = hmac_module.new(secret, b"crowdfind mailbox v1" + b"to-device" + struct.pack(">I", day), hashlib.sha256).digest()
    mailbox = hashlib.sha256(capability).digest()
    body = json.dumps({"type": "ring", "seq": 1767225600000, "expiresAt": 1767226200}, separators=(",", ":")).encode()
    device_public = device_encryption.public_key().public_bytes(*raw)
    signature = owner_signing.sign(b"crowdfind channel v1" + mailbox + hashlib.sha256(device_public).digest() + body)
    plaintext = struct.pack(">H", len(body)) + body + signature
    plaintext += bytes(-len(plaintext) % 256)
    suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)
    sealed = suite.encrypt(plaintext, device_encryption.public_key(), info=b"crowdfind channel v1" + mailbox)
    return {
        "name": "C1",
        "inputs": {
            "secret_hex": secret.hex(),
            "kind": "to-device",
            "day": day,
            "owner_signing_key_hex": seed("owner signing").hex(),
            "owner_encryption_key_hex": seed("owner encryption").hex(),
            "device_signing_key_hex": seed("device signing").hex(),
            "device_encryption_key_hex": seed("device encryption").hex(),
            "body": body.decode(),
        },
        "intermediate": {
            "capability_hex": capability.hex(),
            "mailbox_id_hex": mailbox.hex(),
            "owner_signing_public_hex": owner_signing.public_key().public_bytes(*raw).hex(),
            "owner_encryption_public_hex": owner_encryption.public_key().public_bytes(*raw).hex(),
            "device_encryption_public_hex": device_public.hex(),
            "signature_hex": signature.hex(),
        },
        "sealed_hex": sealed.hex(),
    }


if __name__ == "__main__":
    keys = json.load(open("docs/vectors.json"))["keys"]
    vector = notice_vector(
        keys[0]["private_key_hex"],
        "Lost tag. Reward if returned, please call.",
        "+44 20 7946 0000",
        1,
        1767225600,
        "000102030405060708090a0b",
    )
    self_report = self_report_vector(keys[1]["private_key_hex"], 1767225600, 52.5200066, 13.404954, 12)
    print(json.dumps({"notices": [vector], "self_reports": [self_report], "channel": [channel_vector()]}, indent=2, ensure_ascii=False))

#!/usr/bin/env python3
"""Check a bridged audit inclusion proof (`bridged audit prove --seq N > proof.json`) with nothing but
the proof file and the audit signing public key, independently of bridged's own code.

    python3 scripts/audit_proof_check.py proof.json BASE64_PUBLIC_KEY [MORE_KEYS...]

Checks, as docs/audit.md describes: the checkpoint is a C2SP signed note (Ed25519, key ID
SHA-256(name || 0x0A || 0x01 || key)[:4]) by one of the keys; its text is a tlog-checkpoint
(origin, tree size, base64 root); the record hashes to the leaf (RFC 6962: SHA-256(0x00 || record));
and the audit path leads from the leaf to the root (RFC 9162 section 2.1.3.2). Exit 0 and one line on
success, exit 1 naming the failed check otherwise. Needs python3-cryptography.
"""
import base64
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def fail(message):
    print(f"proof FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def open_note(note, keys):
    """Returns the note's text if a signature by one of (name-less) keys verifies under the note's origin."""
    if not note.endswith("\n") or "\n\n" not in note:
        fail("the checkpoint is not a signed note")
    cut = note.rindex("\n\n")
    text, signatures = note[: cut + 1], note[cut + 2 :].split("\n")[:-1]
    origin = text.split("\n", 1)[0]
    verified = False
    for line in signatures:
        if not line.startswith("\u2014 "):
            fail("a malformed signature line")
        name, _, blob = line[2:].partition(" ")
        raw = base64.b64decode(blob)
        if len(raw) != 68 or name != origin:
            continue
        for key in keys:
            key_id = hashlib.sha256(name.encode() + b"\n\x01" + key).digest()[:4]
            if raw[:4] != key_id:
                continue
            try:
                Ed25519PublicKey.from_public_bytes(key).verify(raw[4:], text.encode())
            except InvalidSignature:
                fail(f"the signature by {name} does not verify")
            verified = True
    if not verified:
        fail("the checkpoint is not signed by any key given")
    return text


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    proof = json.load(open(sys.argv[1], encoding="utf-8"))
    keys = [base64.b64decode(k) for k in sys.argv[2:]]
    text = open_note(proof["checkpoint"], keys)
    lines = text.split("\n")
    if len(lines) < 4 or not lines[1].isdigit():
        fail("the signed note is not a checkpoint")
    origin, size, root = lines[0], int(lines[1]), base64.b64decode(lines[2])
    if size != proof["tree_size"]:
        fail("the checkpoint is not of the proof's tree size")
    leaf = hashlib.sha256(b"\x00" + proof["record"].encode("utf-8")).digest()
    if base64.b64encode(leaf).decode() != proof["leaf_hash"]:
        fail("the record does not hash to the proof's leaf: the record was altered")
    index = proof["index"]
    if index != proof["seq"] - 1 or index >= size:
        fail("the leaf index is not in the tree")
    fn, sn, r = index, size - 1, leaf
    for p in (base64.b64decode(h) for h in proof["proof"]):
        if sn == 0:
            fail("the audit path is too long")
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != root:
        fail("the audit path does not lead from the record to the checkpoint's root")
    print(f"proof OK: record {proof['seq']} is in {origin} at tree size {size}")


if __name__ == "__main__":
    main()

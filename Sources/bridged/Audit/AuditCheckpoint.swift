import PolicyGate
import Logging
import Crypto
import Foundation

/// One line of `checkpoints.jsonl`: a signed statement of the log's head, written every N records or T
/// seconds and at shutdown. Keep copies off the box: a checkpoint is what makes cutting the tail of the log
/// detectable.
///
/// Since the Merkle tree (docs/audit.md), a checkpoint is a C2SP `tlog-checkpoint` signed note in `note`:
/// origin, tree size and base64 RFC 6962 root, signed with Ed25519 under the origin as key name, so standard
/// transparency tooling verifies it. Logs written before that carry version 1 checkpoints (`hash` and
/// `signature` over ``legacySignedText``), which `audit verify` still checks.
struct AuditCheckpoint: Codable, Sendable, Hashable {
    /// The number of records covered (the tree size).
    var seq: Int64
    /// When it was written; not signed (the covered records carry signed times of their own).
    var at: String
    /// The first 16 hex digits of SHA-256 over the raw public key of the signing key.
    var key_id: String
    /// The signed note (version 2).
    var note: String?
    /// Version 1: the chain hash of record `seq`, and the Ed25519 signature (base64) over ``legacySignedText``.
    var hash: String?
    var signature: String?

    static func make(head: TreeHead, at: String, key: Curve25519.Signing.PrivateKey) throws -> AuditCheckpoint {
        AuditCheckpoint(
            seq: Int64(head.size), at: at, key_id: self.keyID(key.publicKey),
            note: try SignedNote.sign(text: head.text, name: head.origin, key: key)
        )
    }

    /// Exactly the bytes a version 1 checkpoint signs.
    static func legacySignedText(seq: Int64, hash: String, at: String) -> String {
        "bridged-audit-checkpoint/v1\nseq \(seq)\nhash \(hash)\nat \(at)\n"
    }

    /// For a version 1 checkpoint: whether `key` made its signature.
    func isValidLegacy(for key: Curve25519.Signing.PublicKey) -> Bool {
        guard let hash = self.hash, let signature = self.signature.flatMap({ Data(base64Encoded: $0) }) else { return false }
        return key.isValidSignature(signature, for: Array(Self.legacySignedText(seq: self.seq, hash: hash, at: self.at).utf8))
    }

    /// The tree head in the note, unverified (for the log's own start-up check; verification opens the note).
    var unverifiedHead: TreeHead? {
        guard let note, let separator = note.range(of: "\n\n", options: .backwards) else { return nil }
        return TreeHead(text: String(note[..<separator.lowerBound]) + "\n")
    }

    static func keyID(_ key: Curve25519.Signing.PublicKey) -> String { self.keyID(key.rawRepresentation) }

    /// The first 16 hex digits of SHA-256 over a raw 32-byte public key.
    static func keyID(_ raw: Data) -> String {
        String(SHA256.hash(data: raw).hexString.prefix(16))
    }

    /// The last checkpoint in the file, if any.
    static func last(in url: URL) -> AuditCheckpoint? {
        guard let data = FileManager.default.contents(atPath: url.path),
            let line = data.split(separator: 0x0A).last
        else { return nil }
        return try? JSONDecoder().decode(AuditCheckpoint.self, from: Data(line))
    }
}

/// The audit signing key: 32 raw bytes of Ed25519 seed, stored base64 in a file or environment variable.
enum AuditSigningKey {
    struct Invalid: Error, CustomStringConvertible {
        var description: String { "the audit signing key must be 32 bytes, base64 encoded (see `bridged audit keygen`)" }
    }

    static func parse(_ bytes: [UInt8]) throws -> Curve25519.Signing.PrivateKey {
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let raw = Data(base64Encoded: text), raw.count == 32 else { throw Invalid() }
        return try Curve25519.Signing.PrivateKey(rawRepresentation: raw)
    }

    static func generate() -> (privateKey: String, publicKey: String) {
        let key = Curve25519.Signing.PrivateKey()
        return (key.rawRepresentation.base64EncodedString(), key.publicKey.rawRepresentation.base64EncodedString())
    }
}

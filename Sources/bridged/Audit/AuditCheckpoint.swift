import PolicyGate
import Logging
import Crypto
import Foundation

/// A signed statement "the audit log had `seq` records, the last one hashing to `hash`", written to
/// `checkpoints.jsonl` every N records or T seconds and at shutdown. Keep copies off the box: a checkpoint
/// is what makes cutting the tail of the log detectable.
struct AuditCheckpoint: Codable, Sendable, Hashable {
    var seq: Int64
    var hash: String
    var at: String
    /// The first 16 hex digits of SHA-256 over the raw public key.
    var key_id: String
    /// Ed25519 over ``signedText``, base64.
    var signature: String

    /// Exactly the bytes that are signed.
    static func signedText(seq: Int64, hash: String, at: String) -> String {
        "bridged-audit-checkpoint/v1\nseq \(seq)\nhash \(hash)\nat \(at)\n"
    }

    static func make(seq: Int64, hash: String, at: String, key: Curve25519.Signing.PrivateKey) throws -> AuditCheckpoint {
        let signature = try key.signature(for: Array(self.signedText(seq: seq, hash: hash, at: at).utf8))
        return AuditCheckpoint(
            seq: seq, hash: hash, at: at, key_id: self.keyID(key.publicKey), signature: Data(signature).base64EncodedString()
        )
    }

    func isValid(for key: Curve25519.Signing.PublicKey) -> Bool {
        guard let signature = Data(base64Encoded: self.signature) else { return false }
        return key.isValidSignature(signature, for: Array(Self.signedText(seq: self.seq, hash: self.hash, at: self.at).utf8))
    }

    static func keyID(_ key: Curve25519.Signing.PublicKey) -> String {
        String(SHA256.hash(data: key.rawRepresentation).hexString.prefix(16))
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

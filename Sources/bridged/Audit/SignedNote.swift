import Crypto
import Foundation

/// An Ed25519 key as C2SP `signed-note` names it: a key name and the 32-byte public key.
///
/// `key ID = SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]`, and the verifier key that Go's
/// `golang.org/x/mod/sumdb/note` and the transparency-dev tools read is `<name>+<hex key ID>+<base64(0x01 ‖ public key)>`.
struct NoteKey: Sendable, Hashable {
    static let ed25519: UInt8 = 0x01

    var name: String
    var publicKey: Curve25519.Signing.PublicKey

    static func == (lhs: NoteKey, rhs: NoteKey) -> Bool {
        lhs.name == rhs.name && lhs.publicKey.rawRepresentation == rhs.publicKey.rawRepresentation
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(self.name)
        hasher.combine(self.publicKey.rawRepresentation)
    }

    var keyID: UInt32 {
        var hasher = SHA256()
        hasher.update(data: Array(self.name.utf8) + [0x0A, Self.ed25519])
        hasher.update(data: self.publicKey.rawRepresentation)
        return hasher.finalize().withUnsafeBytes { raw in raw.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
    }

    var verifierKey: String {
        "\(self.name)+\(String(format: "%08x", self.keyID))+\(Data([Self.ed25519] + self.publicKey.rawRepresentation).base64EncodedString())"
    }

    /// A name is non-empty, has no Unicode space and no `+`.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.unicodeScalars.contains { $0 == "+" || $0.properties.isWhitespace || $0.value < 0x20 }
    }

    /// Parses `<name>+<hex key ID>+<base64(0x01 ‖ key)>`, checking the key ID.
    init?(verifierKey: String) {
        let parts = verifierKey.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, Self.isValidName(String(parts[0])), parts[1].count == 8, let id = UInt32(parts[1], radix: 16),
            let raw = Data(base64Encoded: String(parts[2])), raw.count == 33, raw.first == Self.ed25519,
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw.dropFirst())
        else { return nil }
        self.init(name: String(parts[0]), publicKey: key)
        guard self.keyID == id else { return nil }
    }

    init(name: String, publicKey: Curve25519.Signing.PublicKey) {
        self.name = name
        self.publicKey = publicKey
    }
}

/// C2SP `signed-note`: a text ending in a newline, a blank line, and signature lines
/// `— <key name> <base64(key ID ‖ signature)>`.
enum SignedNote {
    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    static let dash = "\u{2014} "

    /// The signature line for `text`, signed by `key` under `name`.
    static func signatureLine(text: String, name: String, key: Curve25519.Signing.PrivateKey) throws -> String {
        let noteKey = NoteKey(name: name, publicKey: key.publicKey)
        let signature = try key.signature(for: Array(text.utf8))
        let id = noteKey.keyID
        let bytes = [UInt8(id >> 24), UInt8(id >> 16 & 0xFF), UInt8(id >> 8 & 0xFF), UInt8(id & 0xFF)] + Array(signature)
        return "\(Self.dash)\(name) \(Data(bytes).base64EncodedString())\n"
    }

    static func sign(text: String, name: String, key: Curve25519.Signing.PrivateKey) throws -> String {
        text + "\n" + (try self.signatureLine(text: text, name: name, key: key))
    }

    /// Verifies a note and returns its text and the known key that signed it.
    ///
    /// Signatures from unknown keys are ignored; a signature from a known key that does not verify, or no
    /// verified signature from a known key at all, rejects the note.
    static func open(_ note: String, keys: [NoteKey]) throws(Invalid) -> (text: String, signer: NoteKey) {
        guard note.utf8.count <= 64 * 1024, note.hasSuffix("\n"),
            !note.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" })
        else { throw Invalid(description: "not a signed note (too long, no final newline, or control characters)") }
        guard let separator = note.range(of: "\n\n", options: .backwards) else {
            throw Invalid(description: "not a signed note: no blank line before the signatures")
        }
        let text = String(note[..<separator.lowerBound]) + "\n"
        let lines = note[separator.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        guard !lines.isEmpty else { throw Invalid(description: "the note has no signature") }
        var signer: NoteKey?
        for line in lines {
            guard line.hasPrefix(Self.dash) else { throw Invalid(description: "a malformed signature line") }
            let fields = line.dropFirst(Self.dash.count).split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 2, let bytes = Data(base64Encoded: String(fields[1])), bytes.count == 68 else {
                throw Invalid(description: "a malformed signature line")
            }
            let id = bytes.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            guard let key = keys.first(where: { $0.name == fields[0] && $0.keyID == id }) else { continue }
            guard key.publicKey.isValidSignature(bytes.dropFirst(4), for: Array(text.utf8)) else {
                throw Invalid(description: "the signature by \(key.name) (key ID \(String(format: "%08x", id))) does not verify")
            }
            signer = key
        }
        guard let signer else { throw Invalid(description: "the note is not signed by any key given to verify with") }
        return (text, signer)
    }
}

/// C2SP `tlog-checkpoint` note text: `<origin>\n<tree size>\n<base64 root hash>\n`.
struct TreeHead: Sendable, Hashable {
    var origin: String
    var size: UInt64
    var root: TreeHash

    var text: String { "\(self.origin)\n\(self.size)\n\(self.root.base64)\n" }

    init(origin: String, size: UInt64, root: TreeHash) {
        self.origin = origin
        self.size = size
        self.root = root
    }

    /// Parses a checkpoint's note text (extension lines after the third are allowed and ignored).
    init?(text: String) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 4, lines.last == "", !lines[0].isEmpty,
            lines[1].allSatisfy(\.isASCII), lines[1] == "0" || !lines[1].hasPrefix("0"), let size = UInt64(lines[1]),
            let root = TreeHash(base64: lines[2])
        else { return nil }
        self.init(origin: String(lines[0]), size: size, root: root)
    }
}

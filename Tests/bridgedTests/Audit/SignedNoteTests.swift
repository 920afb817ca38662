import Crypto
import Foundation
import Testing

@testable import bridged

@Suite("Signed notes and checkpoints: C2SP formats, byte for byte")
struct SignedNoteTests {
    /// The example key and note of golang.org/x/mod/sumdb/note (its tests and documentation).
    static let verifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    static let signerKey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
    static let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    static let signature = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"

    static func privateKey() throws -> Curve25519.Signing.PrivateKey {
        let parts = Self.signerKey.split(separator: "+", maxSplits: 4)
        let raw = Data(base64Encoded: String(parts[4]))!
        #expect(raw.first == 0x01)
        return try Curve25519.Signing.PrivateKey(rawRepresentation: raw.dropFirst())
    }

    @Test("signing the reference text with the reference key gives the reference signature line, byte for byte")
    func referenceSignature() throws {
        let key = try Self.privateKey()
        let noteKey = try #require(NoteKey(verifierKey: Self.verifierKey))
        #expect(noteKey.name == "PeterNeumann")
        #expect(noteKey.publicKey.rawRepresentation == key.publicKey.rawRepresentation)
        #expect(String(format: "%08x", noteKey.keyID) == "c74f20a3")
        #expect(noteKey.verifierKey == Self.verifierKey)
        #expect(try SignedNote.signatureLine(text: Self.text, name: "PeterNeumann", key: key) == Self.signature)
    }

    @Test("the reference note opens with the reference key, and not when its text, key or signature differ")
    func referenceNoteOpens() throws {
        let key = try #require(NoteKey(verifierKey: Self.verifierKey))
        let note = Self.text + "\n" + Self.signature
        let opened = try SignedNote.open(note, keys: [key])
        #expect(opened.text == Self.text)
        #expect(throws: SignedNote.Invalid.self) {
            try SignedNote.open(note.replacingOccurrences(of: "cryptography", with: "cryptographY"), keys: [key])
        }
        let stranger = NoteKey(name: "PeterNeumann", publicKey: Curve25519.Signing.PrivateKey().publicKey)
        #expect(throws: SignedNote.Invalid.self) { try SignedNote.open(note, keys: [stranger]) }
        #expect(throws: SignedNote.Invalid.self) { try SignedNote.open(Self.text + "\n", keys: [key]) }
        #expect(throws: SignedNote.Invalid.self) {
            try SignedNote.open(note.replacingOccurrences(of: "x08go", with: "x08gp"), keys: [key])
        }
    }

    @Test("mangled verifier keys are refused")
    func mangledVerifierKeys() {
        #expect(NoteKey(verifierKey: "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") == nil)
        #expect(NoteKey(verifierKey: "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") == nil)
        #expect(NoteKey(verifierKey: "PeterNeumann+c74f20a3+AhpC2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") == nil)
        #expect(NoteKey(verifierKey: "PeterNeumann+c74f20a3") == nil)
    }

    @Test("a checkpoint is origin, size and base64 root, and parses back; the C2SP example body parses")
    func checkpointText() throws {
        let head = TreeHead(origin: "gw.acme.test/bridged-audit", size: 8, root: RFC6962Vectors.hash(RFC6962Vectors.roots[8]))
        #expect(head.text == "gw.acme.test/bridged-audit\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n")
        #expect(TreeHead(text: head.text) == head)
        let example = try #require(TreeHead(text: "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"))
        #expect(example.size == 20_852_163)
        #expect(TreeHead(text: "o\n08\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n") == nil, "leading zero")
        #expect(TreeHead(text: "o\n8\nshort\n") == nil)
    }
}

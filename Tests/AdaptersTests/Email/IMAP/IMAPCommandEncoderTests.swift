import Adapters
import BridgeModel
import NIOCore
import Testing

@Suite("IMAP command encoder")
struct IMAPCommandEncoderTests {
    static func wire(_ command: IMAPCommand, _ mode: IMAPCommandEncoder.LiteralMode = .synchronizing, ir: Bool = false)
        throws -> [String]
    {
        try IMAPCommandEncoder(literalMode: mode).encode(command, tag: "A1", saslInitialResponse: ir).parts.map {
            String(buffer: $0)
        }
    }

    static func secret(_ text: String) -> Secret { Secret(bytes: Array(text.utf8)) }

    @Test("arguments become atoms, quoted strings with escapes, or literals for 8-bit text")
    func astrings() throws {
        #expect(
            try Self.wire(.login(username: "gateway@acme.test", password: Self.secret("pw"))) == [
                "A1 LOGIN gateway@acme.test pw\r\n"
            ])
        #expect(
            try Self.wire(.login(username: "a b", password: Self.secret("q\"u\\o"))) == [
                "A1 LOGIN \"a b\" \"q\\\"u\\\\o\"\r\n"
            ])
        #expect(try Self.wire(.login(username: "nil", password: Self.secret(""))) == ["A1 LOGIN \"nil\" \"\"\r\n"])
        // "pässword" is 9 bytes of UTF-8: a synchronizing literal splits the command for the server's "+".
        #expect(
            try Self.wire(.login(username: "u", password: Self.secret("pässword"))) == [
                "A1 LOGIN u {9}\r\n", "pässword\r\n",
            ])
        #expect(
            try Self.wire(.login(username: "u", password: Self.secret("pässword")), .nonSynchronizing) == [
                "A1 LOGIN u {9+}\r\npässword\r\n"
            ])
        #expect(
            try Self.wire(.login(username: "u", password: Self.secret("pässword")), .nonSynchronizingUpTo4096) == [
                "A1 LOGIN u {9+}\r\npässword\r\n"
            ])
    }

    @Test("CR, LF and NUL are refused in every argument, and the error text does not contain the argument")
    func injection() {
        let attempts: [IMAPCommand] = [
            .login(username: "u", password: Self.secret("secret\r\nA2 DELETE INBOX")),
            .login(username: "u\n", password: Self.secret("pw")),
            .authenticatePlain(username: "u", password: Self.secret("se\0cret")),
            .select(mailbox: "INBOX\r\nA2 LOGOUT"),
            .create(mailbox: "x\0y"),
            .uidStore(IMAPUIDSet(uid: 1), add: true, flags: ["$Bridged\r\n"]),
            .uidSearch([.notKeyword("a b")]),
        ]
        for command in attempts {
            var refusal: IMAPError?
            do {
                _ = try IMAPCommandEncoder().encode(command, tag: "A1", saslInitialResponse: true)
            } catch {
                refusal = error
            }
            #expect(refusal?.shortDescription == "invalid-argument", "\(command)")
            #expect(refusal.map { !"\($0)".contains("secret") && !"\($0)".contains("DELETE") } == true)
        }
    }

    @Test("AUTHENTICATE PLAIN carries the base64 response inline only with SASL-IR")
    func authenticatePlain() throws {
        let command = IMAPCommand.authenticatePlain(username: "gateway@acme.test", password: Self.secret("gatewaypw"))
        #expect(
            try Self.wire(command, ir: true) == ["A1 AUTHENTICATE PLAIN AGdhdGV3YXlAYWNtZS50ZXN0AGdhdGV3YXlwdw==\r\n"])
        #expect(try Self.wire(command, ir: false) == ["A1 AUTHENTICATE PLAIN\r\n"])
    }

    @Test("the follower's commands read as RFC 3501 wants them")
    func followerCommands() throws {
        #expect(
            try Self.wire(.uidSearch([.uid(IMAPUIDSet([IMAPUIDRange(5, nil)])), .notKeyword("$Bridged")])) == [
                "A1 UID SEARCH UID 5:* NOT KEYWORD $Bridged\r\n"
            ])
        #expect(
            try Self.wire(.uidSearch([.uid(IMAPUIDSet([IMAPUIDRange(1, 1000)])), .undeleted])) == [
                "A1 UID SEARCH UID 1:1000 UNDELETED\r\n"
            ])
        #expect(
            try Self.wire(.uidFetch(IMAPUIDSet(uid: 7), [.uid, .rfc822Size])) == [
                "A1 UID FETCH 7 (UID RFC822.SIZE)\r\n"
            ])
        #expect(
            try Self.wire(.uidFetch(IMAPUIDSet(uid: 7), [.uid, .bodyPeek])) == ["A1 UID FETCH 7 (UID BODY.PEEK[])\r\n"])
        #expect(
            try Self.wire(.uidStore(IMAPUIDSet(uid: 7), add: true, flags: ["$Bridged"])) == [
                "A1 UID STORE 7 +FLAGS.SILENT ($Bridged)\r\n"
            ])
        #expect(
            try Self.wire(.uidStore(IMAPUIDSet(uid: 7), add: true, flags: ["\\Deleted"])) == [
                "A1 UID STORE 7 +FLAGS.SILENT (\\Deleted)\r\n"
            ])
        #expect(try Self.wire(.uidMove(IMAPUIDSet(uid: 7), mailbox: "Bridged")) == ["A1 UID MOVE 7 Bridged\r\n"])
        #expect(
            try Self.wire(.uidCopy(IMAPUIDSet(uid: 7), mailbox: "Done Items")) == ["A1 UID COPY 7 \"Done Items\"\r\n"])
        #expect(
            try Self.wire(.uidExpunge(IMAPUIDSet([.single(7), IMAPUIDRange(9, 12)]))) == ["A1 UID EXPUNGE 7,9:12\r\n"])
        #expect(try Self.wire(.idle) == ["A1 IDLE\r\n"])
        #expect(throws: IMAPError.self) { try Self.wire(.uidExpunge(IMAPUIDSet([.single(0)]))) }
        #expect(throws: IMAPError.self) { try IMAPCommandEncoder().encode(.noop, tag: "A+1") }
    }

    @Test("mailbox names are sent in modified UTF-7 and decode back")
    func modifiedUTF7() throws {
        #expect(IMAPModifiedUTF7.encode("Entwürfe") == "Entw&APw-rfe")
        #expect(IMAPModifiedUTF7.encode("R&D") == "R&-D")
        #expect(IMAPModifiedUTF7.encode("日本語") == "&ZeVnLIqe-")
        #expect(IMAPModifiedUTF7.encode("~peter/mail/台北/日本語") == "~peter/mail/&U,BTFw-/&ZeVnLIqe-")
        #expect(IMAPModifiedUTF7.encode("😀") == "&2D3eAA-")
        for name in ["Entwürfe", "R&D", "日本語", "~peter/mail/台北/日本語", "😀 & ü", "INBOX"] {
            #expect(IMAPModifiedUTF7.decode(IMAPModifiedUTF7.encode(name)) == name)
        }
        #expect(IMAPModifiedUTF7.decode("&Jjo!") == nil)
        #expect(try Self.wire(.select(mailbox: "Entwürfe")) == ["A1 SELECT Entw&APw-rfe\r\n"])
    }
}

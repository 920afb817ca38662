import Adapters
import Foundation
import NIOCore
import Testing

/// The transcripts in `Transcripts/` are the server side of real sessions with Dovecot 2.3.19.1 (the
/// fixture's config), recorded byte for byte by `Transcripts/record.py`.
@Suite("IMAP response parser on recorded Dovecot transcripts")
struct IMAPResponseParserTests {
    static func transcript(_ name: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Transcripts").appendingPathComponent("\(name).imap")
        return Array(try Data(contentsOf: url))
    }

    static func decode(_ name: String) throws -> [IMAPResponse] {
        let decoded = IMAPDecoderVerifier.decode([try Self.transcript(name)])
        if let error = decoded.error { throw error }
        return decoded.responses ?? []
    }

    static func tagged(_ responses: [IMAPResponse], _ tag: String) -> IMAPTaggedResponse? {
        for case .tagged(let tagged) in responses where tagged.tag == tag { return tagged }
        return nil
    }

    @Test("a whole session decodes: greeting, CAPABILITY, SELECT data, SEARCH, FETCH with a literal, IDLE, BYE")
    func session() throws {
        let responses = try Self.decode("dovecot-session")
        guard case .untagged(.status(.ok, let greeting)) = responses.first,
            case .capability(let capabilities)? = greeting.code
        else {
            Issue.record("no OK greeting with capabilities: \(responses.first.map { "\($0)" } ?? "nothing")")
            return
        }
        #expect(
            capabilities.contains("STARTTLS") && capabilities.contains("AUTH=PLAIN") && capabilities.contains("IDLE"))
        #expect(greeting.text == "Dovecot (Debian) ready.")

        // Post-login capabilities as an untagged CAPABILITY.
        let capabilityLists = responses.compactMap { response -> [String]? in
            if case .untagged(.capability(let atoms)) = response { return atoms }
            return nil
        }
        #expect(capabilityLists.count == 2)
        #expect(capabilityLists.last?.contains("MOVE") == true && capabilityLists.last?.contains("UIDPLUS") == true)

        // SELECT: FLAGS, EXISTS, UIDVALIDITY, UIDNEXT, a code this client does not use.
        #expect(responses.contains(.untagged(.flags(["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"]))))
        #expect(responses.contains(.untagged(.exists(2))))
        #expect(responses.contains(.untagged(.recent(2))))
        let uidValidity = responses.compactMap { response -> UInt32? in
            if case .untagged(.status(.ok, let text)) = response, case .uidValidity(let value)? = text.code {
                return value
            }
            return nil
        }
        #expect(uidValidity.count == 1 && uidValidity[0] > 1_700_000_000)
        #expect(
            responses.contains(.untagged(.status(.ok, IMAPResponseText(code: .uidNext(3), text: "Predicted next UID"))))
        )
        #expect(
            responses.contains(
                .untagged(.status(.ok, IMAPResponseText(code: .other("PERMANENTFLAGS"), text: "Flags permitted.")))))
        #expect(Self.tagged(responses, "a3")?.text.code == .other("READ-WRITE"))

        // UID SEARCH, and `UID 9:*` answering the highest UID although it is below 9.
        #expect(responses.contains(.untagged(.search([1, 2]))))
        #expect(responses.contains(.untagged(.search([2]))))

        // FETCH in Dovecot's order; the body literal contains a line that itself ends in "{5}".
        #expect(responses.contains(.untagged(.fetch(sequence: 1, IMAPFetchAttributes(uid: 1, rfc822Size: 457)))))
        let bodies = responses.compactMap { response -> IMAPFetchAttributes? in
            if case .untagged(.fetch(_, let attributes)) = response, attributes.body != nil { return attributes }
            return nil
        }
        #expect(bodies.count == 1)
        #expect(bodies.first?.uid == 1)
        #expect(bodies.first?.flags == ["\\Recent"])
        #expect(bodies.first?.body?.readableBytes == 457)
        let text = bodies.first?.body.map { String(buffer: $0) } ?? ""
        #expect(text.hasPrefix("Return-Path: <partner@globex.test>\r\n"))
        #expect(text.hasSuffix("\r\nHello {5}\r\nwith a brace line\r\n"))
        #expect(
            responses.contains(
                .untagged(.fetch(sequence: 1, IMAPFetchAttributes(uid: 1, flags: ["\\Recent", "$Bridged"])))))

        // CREATE twice, MOVE, COPY into a missing mailbox.
        #expect(Self.tagged(responses, "b1")?.status == .ok)
        #expect(Self.tagged(responses, "b2")?.status == .no)
        #expect(Self.tagged(responses, "b2")?.text.code == .alreadyExists)
        #expect(responses.contains(.untagged(.expunge(2))))
        #expect(Self.tagged(responses, "b6")?.status == .no)
        #expect(Self.tagged(responses, "b6")?.text.code == .tryCreate)

        // IDLE: continuation, the push, completion; then LOGOUT.
        #expect(responses.contains(.continuation("idling")))
        #expect(Self.tagged(responses, "b5")?.status == .ok)
        #expect(responses.contains(.untagged(.status(.bye, IMAPResponseText(text: "Logging out")))))
        #expect(Self.tagged(responses, "b8")?.status == .ok)
        #expect(responses.count == 43)
    }

    @Test("the recorded session decodes identically whichever way the bytes are split")
    func sessionSplits() throws {
        let input = try Self.transcript("dovecot-session")
        let expected = try Self.decode("dovecot-session")
        try IMAPDecoderVerifier.verify(input: input, expected: expected) { IMAPResponseDecoder() }
    }

    @Test("AUTHENTICATE: an empty continuation, AUTHENTICATIONFAILED, then OK with the post-login capabilities")
    func authentication() throws {
        let responses = try Self.decode("dovecot-auth")
        #expect(responses.count == 6)
        #expect(responses[1] == .continuation(""))
        #expect(
            responses[2]
                == .tagged(
                    IMAPTaggedResponse(
                        tag: "c1", status: .no,
                        text: IMAPResponseText(code: .authenticationFailed, text: "Authentication failed."))))
        guard case .tagged(let ok) = responses[3], case .capability(let atoms)? = ok.text.code else {
            Issue.record("no tagged OK with capabilities: \(responses[3])")
            return
        }
        #expect(ok.status == .ok && ok.text.text == "Logged in")
        #expect(atoms.count == 37 && atoms.contains("IDLE") && !atoms.contains("STARTTLS"))
    }

    @Test("STARTTLS is answered with a tagged OK and nothing after it")
    func startTLS() throws {
        let responses = try Self.decode("dovecot-starttls")
        #expect(responses.count == 2)
        #expect(
            responses.last
                == .tagged(
                    IMAPTaggedResponse(
                        tag: "d1", status: .ok, text: IMAPResponseText(text: "Begin TLS negotiation now."))))
    }

    @Test("FETCH items come in any order, unknown items and nested lists are skipped, NIL body is no body")
    func fetchAnyOrder() throws {
        let input = Array(
            ("* 5 FETCH (FLAGS ($Bridged \\Seen) INTERNALDATE \"21-Nov-2026 12:00:00 +0000\" BODYSTRUCTURE (\"text\" "
                + "\"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 5 1 NIL NIL NIL) MODSEQ (12) RFC822.SIZE 5 "
                + "BODY[HEADER.FIELDS (SUBJECT)] {4}\r\nab\r\n UID 9 BODY[] NIL)\r\n").utf8
        )
        let decoded = IMAPDecoderVerifier.decode([input])
        #expect(
            decoded.responses == [
                .untagged(
                    .fetch(sequence: 5, IMAPFetchAttributes(uid: 9, rfc822Size: 5, flags: ["$Bridged", "\\Seen"])))
            ])
    }

    @Test("malformed responses are refused with a protocol error, not guessed at")
    func malformed() {
        for line in [
            "* 1 FETCH (UID x)", "A1 MAYBE fine", "* 99999999999 EXISTS", "* OK [UIDNEXT] x", "* 1 FETCH (UID 1",
            "A1 PREAUTH x",
        ] {
            let decoded = IMAPDecoderVerifier.decode([Array((line + "\r\n").utf8)])
            #expect(decoded.errorCode == "malformed-response", "\(line)")
        }
    }

    @Test("untagged responses this client does not use are kept by name only")
    func otherResponses() {
        let decoded = IMAPDecoderVerifier.decode([
            Array("* LIST (\\HasNoChildren) \".\" INBOX\r\n* ENABLED CONDSTORE\r\n".utf8)
        ])
        #expect(decoded.responses == [.untagged(.other("LIST")), .untagged(.other("ENABLED"))])
    }
}

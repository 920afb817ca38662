import Adapters
import Testing

@Suite("XMPP stream parser on libexpat")
struct XMPPStreamParserTests {
    /// What a Prosody component port sends: the stream header, the handshake answer, a stanza with nested
    /// children, entities, multi-byte UTF-8, a whitespace keepalive, and the close.
    static let transcript = """
        <?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' \
        xmlns='jabber:component:accept' from='partners.acme.test' id='4a6f0e1d'>\
        <handshake/>\
        <message from='alice@acme.test/phone' to='bob\\40globex.test@partners.acme.test' type='chat' id='m1' \
        xml:lang='en'><body>Gr&#252;&#223;e &amp; h\u{e9}llo &lt;3 \u{1F44B}</body>\
        <thread>t-1</thread><active xmlns='http://jabber.org/protocol/chatstates'/></message> \n\
        <presence from='alice@acme.test/phone' to='bob\\40globex.test@partners.acme.test'><show>away</show></presence>\
        </stream:stream>
        """

    func parseWhole(_ text: String) throws -> [XMPPStreamEvent] {
        try XMPPStreamParser().feed(Array(text.utf8))
    }

    @Test("a component stream yields the header, each stanza with namespaces resolved, and the close")
    func events() throws {
        let events = try self.parseWhole(Self.transcript)
        #expect(events.count == 5)
        guard case .streamOpened(let stream) = events[0] else { Issue.record("no stream header"); return }
        #expect(stream[attribute: "id"] == "4a6f0e1d")
        guard case .stanza(let message) = events[2] else { Issue.record("no message"); return }
        #expect(message.name == "message")
        #expect(message.namespace == "jabber:component:accept")
        #expect(message[attribute: "to"] == "bob\\40globex.test@partners.acme.test")
        #expect(message.attributes.contains { $0.namespace == "http://www.w3.org/XML/1998/namespace" && $0.name == "lang" })
        #expect(message.element(named: "body")?.text == "Grüße & héllo <3 👋")
        #expect(message.element(named: "active", namespace: "http://jabber.org/protocol/chatstates") != nil)
        #expect(events[4] == .streamClosed)
    }

    @Test("chunks split at every byte give the same events as the whole stream")
    func splitAtEveryByte() throws {
        let bytes = Array(Self.transcript.utf8)
        let expected = try self.parseWhole(Self.transcript)
        for cut in 1..<bytes.count {
            let parser = XMPPStreamParser()
            let events = try parser.feed(Array(bytes[..<cut])) + parser.feed(Array(bytes[cut...]))
            #expect(events == expected, "split at byte \(cut)")
        }
        let parser = XMPPStreamParser()
        var dripped: [XMPPStreamEvent] = []
        for byte in bytes { dripped += try parser.feed([byte]) }
        #expect(dripped == expected)
    }

    func error(_ text: String, limits: XMPPStreamLimits = XMPPStreamLimits()) -> XMPPStreamError? {
        let parser = XMPPStreamParser(limits: limits)
        do {
            _ = try parser.feed(Array(text.utf8))
            try parser.finish()
            return nil
        } catch {
            return error
        }
    }

    static let header = "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept'>"

    @Test(
        "DTDs, entity bombs, comments and processing instructions are restricted-xml",
        arguments: [
            "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'><!ENTITY lol2 '&lol;&lol;&lol;&lol;'>]>" + header,
            header + "<!-- hello -->",
            header + "<message><!-- inside --></message>",
            header + "<?php echo 1; ?>",
        ]
    )
    func restricted(_ text: String) {
        #expect(self.error(text)?.condition == "restricted-xml")
    }

    @Test(
        "broken XML is not-well-formed",
        arguments: [
            header + "<message><body>x</message>",
            header + "<message>&undefined;</message>",
            header + "<message a='1' a='2'/>",
            header + "<message><body>\u{0}</body></message>",
        ]
    )
    func notWellFormed(_ text: String) {
        #expect(self.error(text)?.condition == "not-well-formed")
    }

    @Test("invalid UTF-8 is not-well-formed")
    func invalidUTF8() {
        let parser = XMPPStreamParser()
        #expect(throws: XMPPStreamError.self) {
            // The header completed before the bad bytes, so it is handed over; the failure follows.
            _ = try parser.feed(Array(Self.header.utf8) + Array("<message><body>".utf8) + [0xC3, 0x28, 0xFF] + Array("</body></message>".utf8))
            try parser.throwIfFailed()
        }
    }

    @Test("a stream that ends inside a stanza is bad-format; text between stanzas too, but whitespace is a keepalive")
    func badFormat() {
        #expect(self.error(Self.header + "<message><body>half")?.condition == "bad-format")
        #expect(self.error(Self.header + "<message/>stray text")?.condition == "bad-format")
        #expect(self.error(Self.header + "<message/> \n\t <message/>") == nil)
    }

    @Test("a root other than <stream:stream> is invalid-namespace")
    func wrongRoot() {
        #expect(self.error("<html><body/></html>")?.condition == "invalid-namespace")
    }

    @Test("a 10 MB stanza is refused once it passes the limit, not after it was all buffered")
    func hugeStanza() throws {
        let parser = XMPPStreamParser()
        _ = try parser.feed(Array((Self.header + "<message><body>").utf8))
        let chunk = [UInt8](repeating: 0x61, count: 64 * 1024)
        var fed = 0
        var failure: XMPPStreamError?
        while fed < 10 << 20 {
            do {
                _ = try parser.feed(chunk)
                fed += chunk.count
            } catch {
                failure = error
                break
            }
        }
        #expect(failure?.condition == "policy-violation")
        #expect(fed <= 256 * 1024 + chunk.count)
        // The stream stays failed.
        #expect(throws: XMPPStreamError.self) { _ = try parser.feed(Array("</body></message>".utf8)) }
    }

    @Test("a stanza nested too deep or with too many attributes is refused alone; the stream and the next stanza in the same read go on")
    func nestingAndAttributes() throws {
        let deep = "<message from='alice@acme.test/x' to='bob\\40globex.test@gw.acme.test' id='deep' type='chat'><body>x</body>"
            + String(repeating: "<a>", count: 40) + String(repeating: "</a>", count: 40) + "</message>"
        let attributes = (0..<100).map { "a\($0)='x'" }.joined(separator: " ")
        let wide = "<message \(attributes) id='wide' from='alice@acme.test/x'/>"
        let valid = "<message id='ok'><body>hi</body></message>"
        let parser = XMPPStreamParser()
        let events = try parser.feed(Array((Self.header + deep + wide + valid).utf8))
        try parser.finish()
        #expect(events.count == 4, "\(events)")
        guard events.count == 4 else { return }
        guard case .refusedStanza(let refused, let reason) = events[1] else { Issue.record("the deep stanza was not refused"); return }
        #expect(refused.name == "message" && refused[attribute: "id"] == "deep" && refused[attribute: "from"] == "alice@acme.test/x")
        #expect(refused.children.isEmpty && reason.contains("nest"))
        guard case .refusedStanza(let tooWide, let why) = events[2] else { Issue.record("the wide stanza was not refused"); return }
        #expect(tooWide[attribute: "id"] == "wide" && tooWide[attribute: "from"] == "alice@acme.test/x" && why.contains("attributes"))
        #expect(tooWide.attributes.count == 2)
        guard case .stanza(let ok) = events[3] else { Issue.record("the valid stanza after them was lost"); return }
        #expect(ok[attribute: "id"] == "ok")
        // Endless nesting never completes a stanza: the stanza size limit still ends such a stream.
        let endless = Self.header + String(repeating: "<a>", count: 200_000)
        #expect(self.error(endless)?.condition == "policy-violation")
        // Too many attributes on the stream header itself ends the stream.
        #expect(self.error("<stream:stream xmlns:stream='http://etherx.jabber.org/streams' \(attributes)>")?.condition == "policy-violation")
    }

    @Test("one endless token fed a byte at a time is cut off at the token limit")
    func endlessToken() throws {
        var limits = XMPPStreamLimits()
        limits.maxTokenBytes = 1024
        let parser = XMPPStreamParser(limits: limits)
        _ = try parser.feed(Array((Self.header + "<message to='").utf8))
        var fed = 0
        var failure: XMPPStreamError?
        while fed < 100_000 {
            do {
                _ = try parser.feed([0x78])
                fed += 1
            } catch {
                failure = error
                break
            }
        }
        #expect(failure?.condition == "policy-violation")
        #expect(fed < 2048)
    }
}

import Adapters
import BridgeModel
import Testing

@Suite("JIDs and XEP-0106 escaping")
struct JIDEscapingTests {
    /// XEP-0106 §5, the escaping examples table: unescaped local part, escaped local part.
    static let examples: [(String, String)] = [
        ("space cadet", "space\\20cadet"),
        ("call me \"ishmael\"", "call\\20me\\20\\22ishmael\\22"),
        ("at&t guy", "at\\26t\\20guy"),
        ("d'artagnan", "d\\27artagnan"),
        ("/.fanboy", "\\2f.fanboy"),
        ("::foo::", "\\3a\\3afoo\\3a\\3a"),
        ("<foo>", "\\3cfoo\\3e"),
        ("user@host", "user\\40host"),
        ("c:\\net", "c\\3a\\net"),
        ("c:\\\\net", "c\\3a\\\\net"),
        ("c:\\cool stuff", "c\\3a\\cool\\20stuff"),
        ("c:\\5commas", "c\\3a\\5c5commas"),
    ]

    @Test("every example of the XEP escapes and unescapes exactly", arguments: examples)
    func xepExamples(_ unescaped: String, _ escaped: String) throws {
        #expect(JIDEscaping.escape(unescaped) == escaped)
        #expect(JIDEscaping.unescape(escaped) == unescaped)
        _ = try JID(local: escaped, domain: "example.com")
    }

    @Test("a remote address appears on the component domain and maps back")
    func componentAddress() throws {
        let address = try Address(parsing: "bob@globex.test")
        let jid = try JIDEscaping.jid(for: address, component: "partners.acme.test")
        #expect(jid.description == "bob\\40globex.test@partners.acme.test")
        #expect(JIDEscaping.address(for: jid, component: "partners.acme.test") == address)
        #expect(JIDEscaping.address(for: try JID(parsing: "bob\\40globex.test@other.test"), component: "partners.acme.test") == nil)
        #expect(JIDEscaping.address(for: try JID(parsing: "partners.acme.test"), component: "partners.acme.test") == nil)
    }

    @Test("JIDs parse into parts; forbidden characters and bad domains are refused")
    func parsing() throws {
        let jid = try JID(parsing: "alice@ACME.test/phone/1")
        #expect(jid.local == "alice" && jid.domain == "acme.test" && jid.resource == "phone/1")
        #expect(jid.bare.description == "alice@acme.test")
        for bad in ["al ice@acme.test", "a<b@acme.test", "@acme.test", "alice@", "alice@acme..test", "alice@acme.test/"] {
            #expect(throws: JIDError.self, "\(bad)") { try JID(parsing: bad) }
        }
    }
}

import Adapters
import Testing

@Suite("XMPP stanza size: bodies shortened to the server's limit")
struct XMPPStanzaSizeTests {
    static let namespace = "jabber:component:accept"

    func message(_ body: String) -> XMLElement {
        var message = XMLElement(name: "message", namespace: Self.namespace, attributes: [.init(name: "to", value: "alice@acme.test")])
        var element = XMLElement(name: "body", namespace: Self.namespace)
        element.append(text: body)
        message.append(element)
        return message
    }

    @Test("a stanza within the limit is left alone; a longer one is cut at a character boundary with a note, and fits")
    func shortening() throws {
        let small = self.message("hello")
        #expect(XMPPStanzaSize.fit(small, limit: 4096, namespace: Self.namespace) == small)
        // Escaping makes '&' five bytes on the wire, and 'é' and '👋' are multi-byte: the cut must allow for both.
        let long = self.message(String(repeating: "é&👋", count: 2000))
        let fitted = try #require(XMPPStanzaSize.fit(long, limit: 4096, namespace: Self.namespace))
        let wire = XMLSerializer.serialize(fitted, inheritedNamespace: Self.namespace)
        #expect(wire.utf8.count <= 4096)
        let body = try #require(fitted.element(named: "body")?.text)
        #expect(body.hasPrefix("é&👋é&👋"))
        #expect(body.contains("[The gateway shortened this message: the original was 14000 bytes"))
        #expect(fitted[attribute: "to"] == "alice@acme.test")
        // Nothing to shorten: no body, and the stanza is still too large.
        var bare = XMLElement(name: "message", namespace: Self.namespace)
        bare[attribute: "id"] = String(repeating: "x", count: 5000)
        #expect(XMPPStanzaSize.fit(bare, limit: 4096, namespace: Self.namespace) == nil)
    }
}

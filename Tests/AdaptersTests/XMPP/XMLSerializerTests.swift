import Adapters
import Testing

@Suite("XML serializer")
struct XMLSerializerTests {
    @Test("hostile text and attribute values cannot make markup, and survive a round trip through the parser")
    func escapingRoundTrip() throws {
        var message = XMLElement(name: "message", namespace: "jabber:component:accept")
        message[attribute: "to"] = "a'b\"c@acme.test"
        message[attribute: "id"] = "x\ny"
        var body = XMLElement(name: "body")
        body.append(text: "</body><iq type='set'/>&amp; ]]> \u{7}bell")
        message.append(body)
        let wire = XMLSerializer.serialize(message, inheritedNamespace: "jabber:component:accept")
        #expect(!wire.contains("<iq"))
        #expect(!wire.contains("\u{7}"))
        let stream = "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept'>"
        let events = try XMPPStreamParser().feed(Array((stream + wire).utf8))
        guard case .stanza(let parsed) = events.last else {
            Issue.record("no stanza parsed back from \(wire)")
            return
        }
        #expect(parsed[attribute: "to"] == "a'b\"c@acme.test")
        #expect(parsed[attribute: "id"] == "x\ny")
        #expect(parsed.element(named: "body")?.text == "</body><iq type='set'/>&amp; ]]> bell")
    }

    @Test("a child in another namespace declares it; one in the inherited namespace does not")
    func namespaces() {
        var message = XMLElement(name: "message", namespace: "jabber:component:accept")
        message.append(XMLElement(name: "body", namespace: "jabber:component:accept"))
        message.append(XMLElement(name: "active", namespace: "http://jabber.org/protocol/chatstates"))
        #expect(
            XMLSerializer.serialize(message, inheritedNamespace: "jabber:component:accept")
                == "<message><body/><active xmlns=\"http://jabber.org/protocol/chatstates\"/></message>"
        )
    }
}

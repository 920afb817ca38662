import Adapters
@_spi(DeliveryWorker) import BridgeModel
import Foundation
import Testing

@Suite("XMPP message translation")
struct XMPPMessageTranslatorTests {
    let translator = XMPPMessageTranslator(adapter: "acme-xmpp", component: "partners.acme.test")
    static let header = "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept'>"

    func stanza(_ xml: String) throws -> XMLElement {
        guard case .stanza(let element) = try XMPPStreamParser().feed(Array((Self.header + xml).utf8)).last else {
            Issue.record("no stanza in \(xml)")
            throw CancellationError()
        }
        return element
    }

    @Test("a chat message to a component contact becomes an envelope from the bare sender to the unescaped address")
    func inboundMessage() throws {
        let message = try self.stanza(
            #"<message from='alice@acme.test/phone' to='bob\40globex.test@partners.acme.test' type='chat' id='m1'><subject>S</subject><body>hi</body><thread>t9</thread></message>"#
        )
        guard case .envelope(let envelope) = self.translator.inbound(message, receivedAt: Date()) else {
            Issue.record("not an envelope")
            return
        }
        #expect(envelope.sender.address.description == "alice@acme.test")
        #expect(envelope.recipients.map(\.description) == ["bob@globex.test"])
        #expect(envelope.origin == Origin(adapter: "acme-xmpp", nativeID: "alice@acme.test/phone\tm1"))
        // A denial is answered to the full JID it came from (an error to a bare JID is dropped by the server).
        let notice = Notice.envelope(about: envelope, recipients: envelope.recipients, reason: .denied, discriminator: "t")
        let errors = self.translator.notice(
            Delivery(id: 9, envelope: notice, adapter: "acme-xmpp", target: .direct(notice.recipients), attempt: 1)
        )
        #expect(errors.first?[attribute: "to"] == "alice@acme.test/phone")
        #expect(errors.first?[attribute: "id"] == "m1")
        #expect(errors.first?[attribute: "from"] == #"bob\40globex.test@partners.acme.test"#)
        #expect(errors.first?[attribute: "type"] == "error")
        let text = errors.first?.element(named: "error")?.element(named: "text")?.text
        #expect(text == "bridged gateway: Your message to bob@globex.test was not delivered: the gateway's policy does not allow it.")
        #expect(envelope.body == "hi" && envelope.subject == "S" && envelope.thread == "t9" && envelope.kind == .message)
    }

    @Test("an XEP-0308 correction becomes an edit naming the corrected message")
    func correction() throws {
        let message = try self.stanza(
            #"<message from='alice@acme.test' to='bob\40globex.test@partners.acme.test' type='chat' id='m2'><body>fixed</body><replace xmlns='urn:xmpp:message-correct:0' id='m1'/></message>"#
        )
        guard case .envelope(let envelope) = self.translator.inbound(message, receivedAt: Date()) else {
            Issue.record("not an envelope")
            return
        }
        #expect(envelope.kind == .edit)
        #expect(envelope.inReplyTo == "m1")
    }

    @Test(
        "what cannot be bridged is refused with a stanza error, and what needs no bridging is ignored",
        arguments: [
            (#"<message from='alice@acme.test' to='nobody@partners.acme.test' type='chat'><body>x</body></message>"#, "item-not-found"),
            (#"<message from='alice@acme.test' to='partners.acme.test' type='chat'><body>x</body></message>"#, "item-not-found"),
            (#"<message from='acme.test' to='bob\40globex.test@partners.acme.test'><body>x</body></message>"#, "jid-malformed"),
            (#"<message from='alice@acme.test' to='bob\40globex.test@partners.acme.test' type='groupchat'><body>x</body></message>"#, "feature-not-implemented"),
            (#"<iq from='alice@acme.test/p' to='partners.acme.test' type='get' id='q'><query xmlns='jabber:iq:version'/></iq>"#, ""),
            (#"<message from='alice@acme.test' to='bob\40globex.test@partners.acme.test' type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>"#, ""),
            (#"<message from='alice@acme.test' to='bob\40globex.test@partners.acme.test' type='error'><body>x</body></message>"#, ""),
        ]
    )
    func refusals(_ xml: String, _ condition: String) throws {
        let result = self.translator.inbound(try self.stanza(xml), receivedAt: Date())
        if condition.isEmpty {
            #expect(result == .ignore)
        } else {
            guard case .refuse(_, let actual, _) = result else {
                Issue.record("not refused: \(result)")
                return
            }
            #expect(actual == condition)
        }
    }

    @Test("a delivery becomes a chat message from the remote sender's component JID, and an error answer swaps addresses")
    func outbound() throws {
        let envelope = Envelope(
            origin: Origin(adapter: "globex-chat", nativeID: "e"),
            sender: Participant(address: try Address(parsing: "bob@globex.test")),
            recipients: [try Address(parsing: "alice@acme.test")], body: "a < b & c"
        )
        let delivery = Delivery(id: 1, envelope: envelope, adapter: "acme-xmpp", target: .direct(envelope.recipients), attempt: 1)
        let stanzas = try self.translator.outbound(delivery)
        #expect(stanzas.count == 1)
        let wire = XMLSerializer.serialize(stanzas[0], inheritedNamespace: "jabber:component:accept")
        #expect(wire.contains(#"from="bob\40globex.test@partners.acme.test""#))
        #expect(wire.contains(#"to="alice@acme.test""#))
        #expect(wire.contains("<body>a &lt; b &amp; c</body>"))
        let refused = XMPPMessageTranslator.error(answering: stanzas[0], type: "cancel", condition: "forbidden", text: "no")
        #expect(refused[attribute: "to"] == #"bob\40globex.test@partners.acme.test"#)
        #expect(refused[attribute: "type"] == "error")
        #expect(refused.element(named: "error")?.element(named: "forbidden") != nil)
    }
}

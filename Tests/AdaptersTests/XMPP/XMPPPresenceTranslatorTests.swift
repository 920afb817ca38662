import Adapters
@_spi(DeliveryWorker) import BridgeModel
import Foundation
import Testing

@Suite("XMPP presence, subscriptions and service discovery")
struct XMPPPresenceTranslatorTests {
    let translator = XMPPPresenceTranslator(adapter: "acme-xmpp", component: "partners.acme.test")
    static let header = "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept'>"
    static let bob = #"bob\40globex.test@partners.acme.test"#

    func stanza(_ xml: String) throws -> XMLElement {
        guard case .stanza(let element) = try XMPPStreamParser().feed(Array((Self.header + xml).utf8)).last else {
            Issue.record("no stanza in \(xml)")
            throw CancellationError()
        }
        return element
    }

    func envelope(_ xml: String) throws -> Envelope {
        guard case .envelope(let envelope) = self.translator.inbound(try self.stanza(xml), receivedAt: Date()) else {
            Issue.record("not an envelope: \(xml)")
            throw CancellationError()
        }
        return envelope
    }

    @Test("each subscription stanza type becomes the matching subscription action from the bare user to the contact")
    func subscriptions() throws {
        let expected: [String: SubscriptionAction] = [
            "subscribe": .request, "subscribed": .approve, "unsubscribed": .deny, "unsubscribe": .cancel,
        ]
        for (type, action) in expected {
            let envelope = try self.envelope("<presence from='alice@acme.test' to='\(Self.bob)' type='\(type)'/>")
            #expect(envelope.kind == .subscription && envelope.subscription == action, "\(type)")
            #expect(envelope.sender.address.description == "alice@acme.test")
            #expect(envelope.recipients.map(\.description) == ["bob@globex.test"])
        }
    }

    @Test("available presence keeps show and status; unavailable is its own availability")
    func presence() throws {
        let away = try self.envelope(
            "<presence from='alice@acme.test/laptop' to='\(Self.bob)'><show>away</show><status>lunch</status></presence>"
        )
        #expect(away.kind == .presence)
        #expect(away.presence == PresenceUpdate(availability: .available, show: .away, status: "lunch"))
        #expect(away.body == "available (away): lunch")
        let gone = try self.envelope("<presence from='alice@acme.test/laptop' to='\(Self.bob)' type='unavailable'/>")
        #expect(gone.presence?.availability == .unavailable)
        // Every presence is its own item: two identical stanzas are not collapsed as redeliveries.
        #expect(gone.origin != (try self.envelope("<presence from='alice@acme.test/laptop' to='\(Self.bob)' type='unavailable'/>")).origin)
    }

    @Test("a probe is handed to the adapter with the full user JID; presence to the component itself is ignored")
    func probesAndService() throws {
        let probe = try self.stanza("<presence from='alice@acme.test' to='\(Self.bob)' type='probe'/>")
        guard case .probe(let user, let contact, let envelope) = self.translator.inbound(probe, receivedAt: Date()) else {
            Issue.record("not a probe")
            return
        }
        #expect(user.description == "alice@acme.test" && contact.description == "bob@globex.test")
        #expect(envelope.presence?.availability == .probe)
        let direct = try self.stanza("<presence from='alice@acme.test/x' to='partners.acme.test'/>")
        #expect(self.translator.inbound(direct, receivedAt: Date()) == .ignore)
        let error = try self.stanza("<presence from='alice@acme.test/x' to='\(Self.bob)' type='error'/>")
        #expect(self.translator.inbound(error, receivedAt: Date()) == .ignore)
    }

    @Test("outbound presence and subscriptions come from the remote sender's component JID")
    func outbound() throws {
        let sender = Participant(address: try Address(parsing: "bob@globex.test"))
        let alice = try Address(parsing: "alice@acme.test")
        var envelope = Envelope(
            origin: Origin(adapter: "globex-xmpp", nativeID: "x"), kind: .presence, sender: sender, recipients: [alice],
            body: "", presence: PresenceUpdate(availability: .available, show: .dnd, status: "busy")
        )
        let presence = try #require(
            try self.translator.outbound(Delivery(id: 1, envelope: envelope, adapter: "acme-xmpp", target: .direct([alice]), attempt: 1)).first
        )
        #expect(presence[attribute: "from"] == Self.bob && presence[attribute: "to"] == "alice@acme.test")
        #expect(presence[attribute: "type"] == nil)
        #expect(presence.element(named: "show")?.text == "dnd" && presence.element(named: "status")?.text == "busy")

        envelope.kind = .subscription
        envelope.presence = nil
        envelope.subscription = .approve
        let approval = try #require(
            try self.translator.outbound(Delivery(id: 2, envelope: envelope, adapter: "acme-xmpp", target: .direct([alice]), attempt: 1)).first
        )
        #expect(approval[attribute: "type"] == "subscribed")

        envelope.subscription = nil
        #expect(throws: DeliveryFailure.self) {
            try self.translator.outbound(Delivery(id: 3, envelope: envelope, adapter: "acme-xmpp", target: .direct([alice]), attempt: 1))
        }
    }

    @Test("a refused subscription request is answered with unsubscribed from the contact; refused presence is not")
    func nonDelivery() throws {
        let request = try self.envelope("<presence from='alice@acme.test' to='\(Self.bob)' type='subscribe'/>")
        func noticeAnswers(_ envelope: Envelope) -> [XMLElement] {
            let notice = Notice.envelope(about: envelope, recipients: envelope.recipients, reason: .denied, discriminator: "t")
            return self.translator.notice(Delivery(id: 1, envelope: notice, adapter: "acme-xmpp", target: .direct(notice.recipients), attempt: 1))
        }
        let answers = noticeAnswers(request)
        #expect(answers.count == 1)
        #expect(answers.first?[attribute: "type"] == "unsubscribed")
        #expect(answers.first?[attribute: "from"] == Self.bob && answers.first?[attribute: "to"] == "alice@acme.test")
        let presence = try self.envelope("<presence from='alice@acme.test/x' to='\(Self.bob)'/>")
        #expect(noticeAnswers(presence).isEmpty)
    }

    @Test("disco#info on the component names a gateway and its features; on a contact, a client; unknown queries get service-unavailable")
    func disco() throws {
        let responder = XMPPServiceResponder(component: "partners.acme.test")
        let info = responder.answer(
            try self.stanza("<iq type='get' id='d1' from='alice@acme.test/x' to='partners.acme.test'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
        )
        #expect(info[attribute: "type"] == "result" && info[attribute: "id"] == "d1" && info[attribute: "to"] == "alice@acme.test/x")
        let query = try #require(info.element(named: "query", namespace: "http://jabber.org/protocol/disco#info"))
        #expect(query.element(named: "identity")?[attribute: "category"] == "gateway")
        let features = query.elements(named: "feature").compactMap { $0[attribute: "var"] }
        #expect(features.contains("urn:xmpp:message-correct:0") && features.contains("urn:xmpp:ping"))

        let contact = responder.answer(
            try self.stanza("<iq type='get' id='d2' from='alice@acme.test/x' to='\(Self.bob)'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
        )
        #expect(contact.element(named: "query")?.element(named: "identity")?[attribute: "category"] == "client")

        let ping = responder.answer(
            try self.stanza("<iq type='get' id='p' from='acme.test' to='partners.acme.test'><ping xmlns='urn:xmpp:ping'/></iq>")
        )
        #expect(ping[attribute: "type"] == "result" && ping.elements().isEmpty)

        let unknown = responder.answer(
            try self.stanza("<iq type='set' id='u' from='alice@acme.test/x' to='partners.acme.test'><query xmlns='jabber:iq:register'/></iq>")
        )
        #expect(unknown[attribute: "type"] == "error")
        #expect(unknown.element(named: "error")?.element(named: "service-unavailable") != nil)
    }
}

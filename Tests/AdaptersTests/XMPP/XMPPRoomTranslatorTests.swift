import Adapters
@_spi(DeliveryWorker) import BridgeModel
import Foundation
import Testing

@Suite("XMPP rooms (XEP-0045) translation")
struct XMPPRoomTranslatorTests {
    static let header = "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept'>"
    let alice = try! Address(parsing: "alice@acme.test")

    func stanza(_ xml: String) throws -> XMLElement {
        guard case .stanza(let element) = try XMPPStreamParser().feed(Array((Self.header + xml).utf8)).last else {
            Issue.record("no stanza in \(xml)")
            throw CancellationError()
        }
        return element
    }

    func translator(_ mode: XMPPRoomMode = .perSpeaker) throws -> XMPPRoomTranslator {
        try XMPPRoomTranslator(adapter: "acme-xmpp", component: "partners.acme.test", mode: mode)
    }

    @Test("a room message to the listener becomes a conversation envelope from the occupant's real address")
    func inbound() throws {
        let message = try self.stanza(
            "<message type='groupchat' id='g1' from='lobby@rooms.acme.test/alice' to='bridged@partners.acme.test/listener'><body>hi all</body></message>"
        )
        guard case .envelope(let envelope) = try self.translator().inbound(
            message, ownNicks: ["bridged"], realAddress: { $0 == "alice" ? self.alice : nil }, receivedAt: Date()
        ) else {
            Issue.record("not an envelope")
            return
        }
        #expect(envelope.conversation == ConversationRef(adapter: "acme-xmpp", channel: "lobby@rooms.acme.test"))
        #expect(envelope.sender.address == self.alice && envelope.recipients.isEmpty && envelope.body == "hi all")
    }

    @Test("our own occupants' lines, copies to speaker occupants, history and subjects are not bridged")
    func echoGuard() throws {
        let translator = try self.translator()
        let cases = [
            // The room reflects what our speaker occupant said: the nick is ours.
            "<message type='groupchat' from='lobby@rooms.acme.test/bob (globex)' to='bridged@partners.acme.test/listener'><body>x</body></message>",
            // The copy the room sends to a speaker occupant (the listener's copy is the one bridged).
            #"<message type='groupchat' from='lobby@rooms.acme.test/alice' to='bob\40globex.test@partners.acme.test'><body>x</body></message>"#,
            // History replayed on join.
            "<message type='groupchat' from='lobby@rooms.acme.test/alice' to='bridged@partners.acme.test/listener'><body>x</body><delay xmlns='urn:xmpp:delay' stamp='2026-01-01T00:00:00Z'/></message>",
            "<message type='groupchat' from='lobby@rooms.acme.test/alice' to='bridged@partners.acme.test/listener'><subject>topic</subject></message>",
        ]
        for xml in cases {
            let result = translator.inbound(
                try self.stanza(xml), ownNicks: ["bridged", "bob (globex)"], realAddress: { _ in self.alice }, receivedAt: Date()
            )
            #expect(result == .ignore, "\(xml)")
        }
    }

    @Test("an occupant whose real JID the room hides is rejected with a reason, since no policy can apply")
    func anonymous() throws {
        let message = try self.stanza(
            "<message type='groupchat' from='lobby@rooms.acme.test/ghost' to='bridged@partners.acme.test/listener'><body>boo</body></message>"
        )
        guard case .reject(let reason, _) = try self.translator().inbound(
            message, ownNicks: ["bridged"], realAddress: { _ in nil }, receivedAt: Date()
        ) else {
            Issue.record("not rejected")
            return
        }
        #expect(reason == "xmpp-anonymous-occupant")
    }

    @Test("occupant presence reveals the real bare address; unavailable marks leaving")
    func occupants() throws {
        let presence = try self.stanza(
            "<presence from='lobby@rooms.acme.test/alice' to='bridged@partners.acme.test/listener'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant' jid='alice@acme.test/phone'/></x></presence>"
        )
        let seen = try #require(XMPPRoomTranslator.occupant(presence))
        #expect(seen.room == "lobby@rooms.acme.test" && seen.nick == "alice" && seen.real == self.alice && !seen.leaving)
    }

    @Test("per-speaker mode speaks as the remote sender's occupant; relay mode as the listener, with the name in front")
    func outbound() throws {
        let bob = Participant(address: try Address(parsing: "bob@globex.test"), displayName: "Bob\r\nBcc")
        let envelope = Envelope(origin: Origin(adapter: "globex-xmpp", nativeID: "x"), sender: bob, body: "hello")
        let delivery = Delivery(id: 1, envelope: envelope, adapter: "acme-xmpp", target: .room(room: "lobby", channel: "lobby@rooms.acme.test"), attempt: 1)
        let speaker = try self.translator().outbound(delivery)
        #expect(speaker.occupant.description == #"bob\40globex.test@partners.acme.test"#)
        #expect(speaker.nick == "BobBcc (globex)")
        #expect(speaker.message[attribute: "type"] == "groupchat" && speaker.message[attribute: "to"] == "lobby@rooms.acme.test")
        let relay = try self.translator(.relay).outbound(delivery)
        #expect(relay.occupant.description == "bridged@partners.acme.test/listener" && relay.nick == "bridged")
        #expect(relay.message.element(named: "body")?.text == "[BobBcc (globex)] hello")
        let join = XMPPRoomTranslator.join(occupant: speaker.occupant, room: "lobby@rooms.acme.test", nick: speaker.nick)
        #expect(join[attribute: "to"] == "lobby@rooms.acme.test/BobBcc (globex)")
        #expect(join.element(named: "x", namespace: "http://jabber.org/protocol/muc")?.element(named: "history")?[attribute: "maxstanzas"] == "0")
    }
}

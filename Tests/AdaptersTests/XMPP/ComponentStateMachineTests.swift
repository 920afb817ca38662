import Adapters
import BridgeModel
import Testing

@Suite("XEP-0114 component state machine")
struct ComponentStateMachineTests {
    let secret = Secret(bytes: Array("s3cret".utf8))

    func stream(id: String?) -> XMLElement {
        var element = XMLElement(name: "stream", namespace: XMPPStreamParser.streamsNamespace)
        element[attribute: "id"] = id
        return element
    }

    @Test("opens the stream, answers the header with SHA-1(id + secret), and is established by <handshake/>")
    func happyPath() {
        var machine = ComponentStateMachine(component: "partners.acme.test", secret: self.secret)
        guard case .send(let header) = machine.connected() else { Issue.record("no header"); return }
        #expect(header.contains("to='partners.acme.test'") && header.contains("jabber:component:accept"))
        #expect(machine.received(.streamOpened(self.stream(id: "3BF96D32"))) == .send("<handshake>\(Self.vector)</handshake>"))
        #expect(machine.received(.stanza(XMLElement(name: "handshake", namespace: "jabber:component:accept"))) == .established)
        let message = XMLElement(name: "message", namespace: "jabber:component:accept")
        #expect(machine.received(.stanza(message)) == .deliver(message))
        #expect(machine.received(.streamClosed) == .close(error: nil))
        #expect(machine.state == .closed)
    }

    /// sha1("3BF96D32" + "s3cret"), computed with Python's hashlib.
    static let vector = "a984b871214a298f0f743fcd25f99b10838ba12b"

    @Test("a stream error names its condition and ends the session")
    func streamError() {
        var machine = ComponentStateMachine(component: "partners.acme.test", secret: self.secret)
        _ = machine.connected()
        _ = machine.received(.streamOpened(self.stream(id: "1")))
        var error = XMLElement(name: "error", namespace: XMPPStreamParser.streamsNamespace)
        error.append(XMLElement(name: "not-authorized", namespace: "urn:ietf:params:xml:ns:xmpp-streams"))
        var text = XMLElement(name: "text", namespace: "urn:ietf:params:xml:ns:xmpp-streams")
        text.append(text: "Given token does not match calculated token")
        error.append(text)
        guard case .close(let failure?) = machine.received(.stanza(error)) else { Issue.record("no failure"); return }
        #expect(failure.streamCondition == "not-authorized")
        #expect(machine.state == .closed)
    }

    @Test("stanzas before the handshake, a header without id, and a lost connection are failures")
    func violations() {
        var early = ComponentStateMachine(component: "c.test", secret: self.secret)
        _ = early.connected()
        _ = early.received(.streamOpened(self.stream(id: "1")))
        guard case .close(let failure?) = early.received(.stanza(XMLElement(name: "message"))) else {
            Issue.record("a message before the handshake was accepted")
            return
        }
        #expect(failure.shortDescription == "protocol-violation")
        var noID = ComponentStateMachine(component: "c.test", secret: self.secret)
        _ = noID.connected()
        guard case .close(let missing?) = noID.received(.streamOpened(self.stream(id: nil))) else {
            Issue.record("a header without id was accepted")
            return
        }
        #expect(missing.shortDescription == "protocol-violation")
        var lost = ComponentStateMachine(component: "c.test", secret: self.secret)
        _ = lost.connected()
        guard case .close(let gone?) = lost.disconnected() else { Issue.record("no failure"); return }
        #expect(gone.shortDescription == "connection-lost")
    }
}

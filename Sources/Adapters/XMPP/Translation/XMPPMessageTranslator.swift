public import BridgeModel
public import Foundation

/// Translates between XMPP `<message/>` stanzas on a component and envelopes. Pure: stanzas in, values out.
///
/// Inbound, `alice@acme.test` writes to `bob\40globex.test@partners.acme.test` and the envelope goes from
/// alice@acme.test to bob@globex.test. Outbound, an envelope from bob@globex.test to alice@acme.test
/// becomes a message from `bob\40globex.test@partners.acme.test` to `alice@acme.test`.
public struct XMPPMessageTranslator: Sendable {
    public enum Inbound: Hashable, Sendable {
        case envelope(Envelope)
        /// Answer the sender with this stanza error (RFC 6120 §8.3).
        case refuse(type: String, condition: String, text: String)
        /// Nothing to bridge (chat states, receipts, headline, error replies).
        case ignore
    }

    static let correction = "urn:xmpp:message-correct:0"
    static let reply = "urn:xmpp:reply:0"
    static let retraction = "urn:xmpp:message-retract:1"
    static let fallback = "urn:xmpp:fallback:0"
    static let hints = "urn:xmpp:hints"
    static let stanzasNamespace = "urn:ietf:params:xml:ns:xmpp-stanzas"

    public let adapter: String
    public let component: String

    public init(adapter: String, component: String) {
        self.adapter = adapter
        self.component = component
    }

    public func inbound(_ stanza: XMLElement, receivedAt: Date) -> Inbound {
        guard stanza.name == "message" else { return .ignore }
        let type = stanza[attribute: "type"] ?? "normal"
        switch type {
        case "chat", "normal": break
        case "groupchat": return .refuse(type: "cancel", condition: "feature-not-implemented", text: "rooms are not bridged yet")
        default: return .ignore
        }
        guard let fromText = stanza[attribute: "from"], let from = try? JID(parsing: fromText),
            let sender = JIDEscaping.localAddress(for: from)
        else {
            return .refuse(type: "modify", condition: "jid-malformed", text: "the sender is not a person's address")
        }
        guard let toText = stanza[attribute: "to"], let to = try? JID(parsing: toText),
            let recipient = JIDEscaping.address(for: to, component: self.component)
        else {
            return .refuse(type: "cancel", condition: "item-not-found", text: "no remote contact has this address")
        }
        let id = stanza[attribute: "id"].flatMap { $0.isEmpty ? nil : $0 } ?? "no-id-\(UUID().uuidString)"
        if let retracted = stanza.element(named: "retract", namespace: Self.retraction)?[attribute: "id"] {
            // XEP-0424: a retraction of the sender's own earlier message; the fallback body is not carried.
            return .envelope(
                Envelope(
                    origin: Origin(adapter: self.adapter, nativeID: Self.nativeID(from: from, id: id)),
                    kind: .retraction, sender: Participant(address: sender), recipients: [recipient],
                    inReplyTo: retracted, body: "", hops: [self.adapter], receivedAt: receivedAt
                )
            )
        }
        guard let body = stanza.element(named: "body")?.text, !body.isEmpty else { return .ignore }
        let correction = stanza.element(named: "replace", namespace: Self.correction)?[attribute: "id"]
        let replyTo = stanza.element(named: "reply", namespace: Self.reply)?[attribute: "id"]
        return .envelope(
            Envelope(
                origin: Origin(adapter: self.adapter, nativeID: Self.nativeID(from: from, id: id)),
                kind: correction == nil ? .message : .edit,
                sender: Participant(address: sender),
                recipients: [recipient],
                thread: stanza.element(named: "thread")?.text,
                inReplyTo: correction ?? replyTo,
                subject: stanza.element(named: "subject")?.text,
                body: body.replacingOccurrences(of: "\r\n", with: "\n"),
                hops: [self.adapter],
                receivedAt: receivedAt
            )
        )
    }

    /// The messages a direct delivery becomes: one per local recipient, from the remote sender's component JID.
    public func outbound(_ delivery: Delivery) throws(DeliveryFailure) -> [XMLElement] {
        guard case .direct(let recipients) = delivery.target else {
            throw .permanent("rooms-not-supported", "bridged rooms on XMPP are not supported yet")
        }
        let envelope = delivery.envelope
        let from: JID
        do {
            from = try JIDEscaping.jid(for: envelope.sender.address, component: self.component)
        } catch {
            throw .permanent("jid-malformed", "the sender cannot be written as a JID: \(error)")
        }
        return try recipients.map { recipient throws(DeliveryFailure) in
            let to: JID
            do {
                to = try JIDEscaping.localJID(for: recipient)
            } catch {
                throw .permanent("jid-malformed", "the recipient cannot be written as a JID: \(error)")
            }
            var message = XMLElement(name: "message", namespace: ComponentStateMachine.namespace)
            message[attribute: "from"] = from.description
            message[attribute: "to"] = to.description
            message[attribute: "type"] = "chat"
            message[attribute: "id"] = delivery.deliveryKey
            if envelope.kind == .retraction, let reference = envelope.reference {
                // XEP-0424: the retraction names the id this user's client knows; a fallback body for clients
                // without retraction support, and a hint so the server archives it.
                var retract = XMLElement(name: "retract", namespace: Self.retraction)
                retract[attribute: "id"] = self.stanzaID(for: reference)
                message.append(retract)
                var fallback = XMLElement(name: "fallback", namespace: Self.fallback)
                fallback[attribute: "for"] = Self.retraction
                message.append(fallback)
                message.append(Self.child("body", text: "\(envelope.sender.labelledName) withdrew a message."))
                message.append(XMLElement(name: "store", namespace: Self.hints))
                return message
            }
            if let subject = envelope.subject { message.append(Self.child("subject", text: subject)) }
            message.append(Self.child("body", text: envelope.body))
            if let thread = envelope.thread { message.append(Self.child("thread", text: thread)) }
            if let reference = envelope.reference {
                // XEP-0308 for a correction, XEP-0461 for a reply, naming the id this user's client knows.
                let corrected = envelope.kind == .edit
                var marker = XMLElement(name: corrected ? "replace" : "reply", namespace: corrected ? Self.correction : Self.reply)
                marker[attribute: "id"] = self.stanzaID(for: reference)
                message.append(marker)
            }
            return message
        }
    }

    /// The stanza errors a notice becomes: one per contact the sender's item will not reach, answering
    /// the sender's own stanza (its full JID and id), with the condition for the reason and the notice's
    /// text, which says it is the gateway's. RFC 6120 §8.3 makes an error come from the address the
    /// original was sent to; the text is the gateway's, never the contact's.
    public func notice(_ delivery: Delivery) -> [XMLElement] {
        guard let notice = delivery.envelope.notice, case .direct(let senders) = delivery.target, let sender = senders.first else {
            return []
        }
        let (type, condition): (String, String) = switch notice.reason {
        case .denied, .policyChanged: ("cancel", "not-allowed")
        case .refused: ("cancel", "recipient-unavailable")
        case .gaveUp: ("wait", "recipient-unavailable")
        case .unreachable: ("cancel", "service-unavailable")
        // RFC 6120 §8.3.3.12: the item violates a local policy; `wait` while a reviewer may still release it.
        case .held: ("wait", "policy-violation")
        case .rejected: ("cancel", "policy-violation")
        }
        // RFC 6121 §8.5.2.1.1: an error sent to a bare JID is dropped, so answer the full JID it came from.
        let (fullJID, id) = Self.split(nativeID: notice.original.origin.nativeID)
        return notice.about.compactMap { recipient in
            guard let from = try? JIDEscaping.jid(for: recipient, component: self.component) else { return nil }
            var original = XMLElement(name: "message", namespace: ComponentStateMachine.namespace)
            original[attribute: "from"] = fullJID ?? (try? JIDEscaping.localJID(for: sender))?.description ?? sender.description
            original[attribute: "to"] = from.description
            original[attribute: "id"] = id
            return Self.error(answering: original, type: type, condition: condition, text: "bridged gateway: \(notice.text)")
        }
    }

    static let receipts = "urn:xmpp:receipts"

    /// The XEP-0184 receipt for a message that asked for one (`<request xmlns='urn:xmpp:receipts'/>` and an
    /// id), from the contact it was sent to; nil when it asked for none.
    public static func receipt(answering stanza: XMLElement) -> XMLElement? {
        guard stanza.name == "message", stanza[attribute: "type"] != "error", stanza[attribute: "type"] != "groupchat",
            stanza.element(named: "request", namespace: Self.receipts) != nil, let id = stanza[attribute: "id"], !id.isEmpty
        else { return nil }
        var receipt = XMLElement(name: "message", namespace: ComponentStateMachine.namespace)
        receipt[attribute: "from"] = stanza[attribute: "to"]
        receipt[attribute: "to"] = stanza[attribute: "from"]
        receipt[attribute: "id"] = "receipt-\(id)"
        var received = XMLElement(name: "received", namespace: Self.receipts)
        received[attribute: "id"] = id
        receipt.append(received)
        return receipt
    }

    /// A stanza error answering `stanza` (RFC 6120 §8.3): addresses swapped, the condition and a text.
    public static func error(answering stanza: XMLElement, type: String, condition: String, text: String) -> XMLElement {
        var reply = XMLElement(name: stanza.name, namespace: ComponentStateMachine.namespace)
        reply[attribute: "from"] = stanza[attribute: "to"]
        reply[attribute: "to"] = stanza[attribute: "from"]
        reply[attribute: "id"] = stanza[attribute: "id"]
        reply[attribute: "type"] = "error"
        var error = XMLElement(name: "error", namespace: ComponentStateMachine.namespace)
        error[attribute: "type"] = type
        error.append(XMLElement(name: condition, namespace: Self.stanzasNamespace))
        var textElement = XMLElement(name: "text", namespace: Self.stanzasNamespace)
        textElement.append(text: text)
        error.append(textElement)
        reply.append(error)
        return reply
    }

    /// The idempotency key of an inbound message: the sender's full JID, a tab, the stanza id. JIDs cannot
    /// contain control characters (RFC 7622, PRECIS), so the first tab separates the two unambiguously.
    static func nativeID(from: JID, id: String) -> String { "\(from)\t\(id)" }
    static func nativeID(jid: String, id: String) -> String { "\(jid)\t\(id)" }

    /// The stanza id this component knows a referenced item by.
    func stanzaID(for reference: MessageReference) -> String {
        let native = reference.nativeID(at: self.adapter)
        return Self.split(nativeID: native).id ?? native
    }

    static func split(nativeID: String) -> (jid: String?, id: String?) {
        guard let tab = nativeID.firstIndex(of: "\t") else { return (nil, nil) }
        return (String(nativeID[..<tab]), String(nativeID[nativeID.index(after: tab)...]))
    }

    static func child(_ name: String, text: String, namespace: String = ComponentStateMachine.namespace) -> XMLElement {
        var element = XMLElement(name: name, namespace: namespace)
        element.append(text: text)
        return element
    }
}

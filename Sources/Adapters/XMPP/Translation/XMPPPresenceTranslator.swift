public import BridgeModel
public import Foundation

/// Translates `<presence/>` stanzas on a component (RFC 6121 §3 subscriptions, §4 presence) and envelopes.
/// Pure: stanzas in, values out.
///
/// A local user's subscription request to a remote contact's component JID becomes a `subscription`
/// envelope (`subscribe` → request, `subscribed` → approve, `unsubscribed` → deny, `unsubscribe` → cancel);
/// the presence the server broadcasts to the contact becomes a `presence` envelope. Both cross the policy
/// gate like messages. Outbound, the same stanzas come from the remote sender's component JID.
public struct XMPPPresenceTranslator: Sendable {
    public enum Inbound: Hashable, Sendable {
        case envelope(Envelope)
        /// The server asks for a remote contact's current presence on the user's behalf (§4.3). The adapter
        /// never answers from a cache: the probe envelope crosses the gate to the contact's side, whose
        /// answer comes back through the gate.
        case probe(user: JID, contact: Address, envelope: Envelope)
        case refuse(type: String, condition: String, text: String)
        case ignore
    }

    public let adapter: String
    public let component: String

    public init(adapter: String, component: String) {
        self.adapter = adapter
        self.component = component
    }

    public func inbound(_ stanza: XMLElement, receivedAt: Date) -> Inbound {
        let type = stanza[attribute: "type"]
        guard let toText = stanza[attribute: "to"], let to = try? JID(parsing: toText) else { return .ignore }
        // Presence to the component itself (directed presence to the service) carries nothing to bridge.
        guard to.local != nil else { return .ignore }
        guard let fromText = stanza[attribute: "from"], let from = try? JID(parsing: fromText),
            let sender = JIDEscaping.localAddress(for: from)
        else {
            return .refuse(type: "modify", condition: "jid-malformed", text: "the sender is not a person's address")
        }
        guard let contact = JIDEscaping.address(for: to, component: self.component) else {
            return .refuse(type: "cancel", condition: "item-not-found", text: "no remote contact has this address")
        }
        var envelope = Envelope(
            origin: Origin(adapter: self.adapter, nativeID: Self.nativeID(from: from)),
            kind: .presence,
            sender: Participant(address: sender),
            recipients: [contact],
            body: "",
            hops: [self.adapter],
            receivedAt: receivedAt
        )
        switch type {
        case nil, "unavailable":
            var update = PresenceUpdate(availability: type == nil ? .available : .unavailable)
            update.show = stanza.element(named: "show")?.text.trimmed.flatMap(PresenceUpdate.Show.init(rawValue:))
            update.status = stanza.element(named: "status")?.text.trimmed
            envelope.presence = update
            envelope.body = Self.describe(update)
            return .envelope(envelope)
        case "probe":
            envelope.presence = PresenceUpdate(availability: .probe)
            envelope.body = Self.describe(envelope.presence!)
            return .probe(user: from, contact: contact, envelope: envelope)
        case "subscribe", "subscribed", "unsubscribed", "unsubscribe":
            let action: SubscriptionAction = switch type {
            case "subscribe": .request
            case "subscribed": .approve
            case "unsubscribed": .deny
            default: .cancel
            }
            envelope.kind = .subscription
            envelope.subscription = action
            envelope.body = Self.describe(action)
            return .envelope(envelope)
        default:
            // `error` and unknown types: nothing to bridge.
            return .ignore
        }
    }

    /// The presence stanzas a direct presence or subscription delivery becomes: one per local recipient,
    /// from the remote sender's component JID.
    public func outbound(_ delivery: Delivery) throws(DeliveryFailure) -> [XMLElement] {
        guard case .direct(let recipients) = delivery.target else {
            throw .permanent("rooms-not-supported", "presence is not bridged into rooms")
        }
        let envelope = delivery.envelope
        let from = try self.contactJID(envelope.sender.address)
        return try recipients.map { recipient throws(DeliveryFailure) in
            let to: String
            do {
                to = try JIDEscaping.localJID(for: recipient).description
            } catch {
                throw .permanent("jid-malformed", "the recipient cannot be written as a JID: \(error)")
            }
            switch envelope.kind {
            case .presence:
                guard let update = envelope.presence else {
                    throw .permanent("presence-missing", "a presence envelope without a presence update")
                }
                return Self.stanza(from: from.description, to: to, update: update)
            case .subscription:
                guard let action = envelope.subscription else {
                    throw .permanent("subscription-missing", "a subscription envelope without an action")
                }
                return Self.subscription(from: from.description, to: to, action: action)
            default:
                throw .permanent("kind-not-presence", "not a presence or subscription envelope")
            }
        }
    }

    /// What tells a local user that a subscription request will not be answered by the contact (the gate
    /// denied it, or the contact's system has no presence): `unsubscribed` from the contact (§3.2). Denied
    /// presence updates are dropped silently, as a server does for an unauthorized subscriber.
    /// A notice about a subscription request that will not reach its contacts becomes their `unsubscribed`
    /// answer (RFC 6121 §3.2), so the requester's client stops waiting.
    public func notice(_ delivery: Delivery) -> [XMLElement] {
        guard let notice = delivery.envelope.notice, notice.originalKind == .subscription,
            case .direct(let senders) = delivery.target, let sender = senders.first
        else { return [] }
        return notice.about.compactMap { recipient in
            guard let from = try? self.contactJID(recipient) else { return nil }
            let to = (try? JIDEscaping.localJID(for: sender))?.description ?? sender.description
            return Self.subscription(from: from.description, to: to, action: .deny)
        }
    }

    func contactJID(_ address: Address) throws(DeliveryFailure) -> JID {
        do {
            return try JIDEscaping.jid(for: address, component: self.component)
        } catch {
            throw .permanent("jid-malformed", "the address cannot be written as a JID: \(error)")
        }
    }

    /// `<presence from to [type=unavailable|probe]><show/><status/></presence>`.
    public static func stanza(from: String, to: String, update: PresenceUpdate) -> XMLElement {
        var presence = XMLElement(name: "presence", namespace: ComponentStateMachine.namespace)
        presence[attribute: "from"] = from
        presence[attribute: "to"] = to
        switch update.availability {
        case .available: break
        case .unavailable: presence[attribute: "type"] = "unavailable"
        case .probe: presence[attribute: "type"] = "probe"
        }
        if let show = update.show { presence.append(XMPPMessageTranslator.child("show", text: show.rawValue)) }
        if let status = update.status { presence.append(XMPPMessageTranslator.child("status", text: status)) }
        return presence
    }

    static func subscription(from: String, to: String, action: SubscriptionAction) -> XMLElement {
        var presence = XMLElement(name: "presence", namespace: ComponentStateMachine.namespace)
        presence[attribute: "from"] = from
        presence[attribute: "to"] = to
        presence[attribute: "type"] = switch action {
        case .request: "subscribe"
        case .approve: "subscribed"
        case .deny: "unsubscribed"
        case .cancel: "unsubscribe"
        }
        return presence
    }

    /// Presence stanzas rarely carry ids, reuse them freely, and are never redelivered by the server, so
    /// each one is its own item: the sender's full JID, a tab, a fresh UUID.
    static func nativeID(from: JID) -> String {
        XMPPMessageTranslator.nativeID(from: from, id: "presence-\(UUID().uuidString)")
    }

    /// The plain-text meaning, for audit content and protocols that show presence as text.
    static func describe(_ update: PresenceUpdate) -> String {
        var text = switch update.availability {
        case .available: update.show.map { "available (\($0.rawValue))" } ?? "available"
        case .unavailable: "unavailable"
        case .probe: "presence probe"
        }
        if let status = update.status, !status.isEmpty { text += ": \(status)" }
        return text
    }

    static func describe(_ action: SubscriptionAction) -> String {
        switch action {
        case .request: "asks to see your presence"
        case .approve: "lets you see their presence"
        case .deny: "does not let you see their presence"
        case .cancel: "no longer follows your presence"
        }
    }
}

extension String {
    /// Nil for empty or whitespace-only text.
    var trimmed: String? {
        let text = self.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}

public import BridgeModel
public import Foundation

/// Translates XEP-0045 room traffic on a component and envelopes. Pure: stanzas in, values out; what the
/// adapter knows about a room (who is who) is passed in.
///
/// The component listens in each bridged room through one occupant of its own (`bridged@component`, nick
/// `bridged`), so every room message is seen once. Remote speakers appear either as one occupant each
/// (`bob\40globex.test@component`, nick "bob (globex)"), or, in relay mode, through the listener itself
/// with the speaker's name in front of the text. Messages from the component's own occupants never go
/// back out: that is the echo guard.
public struct XMPPRoomTranslator: Sendable {
    public enum Inbound: Hashable, Sendable {
        case envelope(Envelope)
        /// Not bridgeable (an occupant whose real JID the room hides): audit it, answer nothing.
        case reject(reason: String, detail: String)
        case ignore
    }

    static let muc = "http://jabber.org/protocol/muc"
    static let mucUser = "http://jabber.org/protocol/muc#user"
    static let delay = "urn:xmpp:delay"
    public static let listenerLocal = "bridged"
    public static let listenerNick = "bridged"

    public let adapter: String
    public let component: String
    public let mode: XMPPRoomMode
    /// The component's own listening occupant, `bridged@<component>/listener`: no escaped remote address
    /// has this local part (those always contain `\40`).
    public let listener: JID

    public init(adapter: String, component: String, mode: XMPPRoomMode) throws(JIDError) {
        self.adapter = adapter
        self.component = component
        self.mode = mode
        self.listener = try JID(local: Self.listenerLocal, domain: component, resource: "listener")
    }

    /// `<presence from=occupant to=room/nick><x xmlns=muc><history maxstanzas=0/></x></presence>`: join
    /// without replaying history (it was bridged when it was said, or predates the bridge).
    public static func join(occupant: JID, room: String, nick: String) -> XMLElement {
        var presence = XMLElement(name: "presence", namespace: ComponentStateMachine.namespace)
        presence[attribute: "from"] = occupant.description
        presence[attribute: "to"] = "\(room)/\(nick)"
        var x = XMLElement(name: "x", namespace: Self.muc)
        var history = XMLElement(name: "history", namespace: Self.muc)
        history[attribute: "maxstanzas"] = "0"
        x.append(history)
        presence.append(x)
        return presence
    }

    /// What an occupant presence tells the listener (XEP-0045 §7.2.3).
    public struct OccupantPresence: Hashable, Sendable {
        public var room: String
        public var nick: String
        /// The occupant's real address, when the room shows it and it is a person's.
        public var real: Address?
        /// The domain of the real JID the room shows, if any (the component's own occupants have its domain).
        public var realDomain: String?
        public var leaving: Bool
        /// Status 110: the presence is the listener's own, which the room sends after every other occupant's,
        /// so the roster is complete from then on.
        public var isSelf: Bool
    }

    /// The real bare JID an occupant presence reveals (`<x xmlns=muc#user><item jid=.../>`), if the room
    /// shows it to the listener.
    public static func occupant(_ presence: XMLElement) -> OccupantPresence? {
        guard let fromText = presence[attribute: "from"], let from = try? JID(parsing: fromText), let nick = from.resource,
            let x = presence.element(named: "x", namespace: Self.mucUser)
        else { return nil }
        let realJID = x.element(named: "item", namespace: Self.mucUser)?[attribute: "jid"].flatMap { try? JID(parsing: $0) }
        let real = realJID.flatMap(JIDEscaping.localAddress(for:))
        let isSelf = x.elements(named: "status", namespace: Self.mucUser).contains { $0[attribute: "code"] == "110" }
        return OccupantPresence(
            room: from.bare.description, nick: nick, real: real, realDomain: realJID?.domain,
            leaving: presence[attribute: "type"] == "unavailable", isSelf: isSelf
        )
    }

    /// A `groupchat` message as the listener received it. `ownNicks` are the component's occupants in that
    /// room; `realAddress` says who a nick is.
    public func inbound(
        _ stanza: XMLElement, ownNicks: Set<String>, realAddress: (String) -> Address?, receivedAt: Date
    ) -> Inbound {
        guard let toText = stanza[attribute: "to"], let to = try? JID(parsing: toText), to.bare == self.listener.bare,
            let fromText = stanza[attribute: "from"], let from = try? JID(parsing: fromText), let nick = from.resource
        else { return .ignore }
        // Our own occupants' messages reflected by the room, history replays and subject changes: nothing to bridge.
        if ownNicks.contains(nick) || stanza.element(named: "delay", namespace: Self.delay) != nil { return .ignore }
        guard let body = stanza.element(named: "body")?.text, !body.isEmpty else { return .ignore }
        let room = from.bare.description
        guard let sender = realAddress(nick) else {
            return .reject(
                reason: "xmpp-anonymous-occupant",
                detail: "the room \(room) does not show who \(nick) is, so no policy can be applied; make its JIDs public"
            )
        }
        let id = stanza[attribute: "id"].flatMap { $0.isEmpty ? nil : $0 } ?? "no-id-\(UUID().uuidString)"
        let correction = stanza.element(named: "replace", namespace: XMPPMessageTranslator.correction)?[attribute: "id"]
        return .envelope(
            Envelope(
                origin: Origin(adapter: self.adapter, nativeID: XMPPMessageTranslator.nativeID(from: from, id: id)),
                kind: correction == nil ? .message : .edit,
                sender: Participant(address: sender, displayName: nick),
                conversation: ConversationRef(adapter: self.adapter, channel: room),
                inReplyTo: correction,
                body: body.replacingOccurrences(of: "\r\n", with: "\n"),
                hops: [self.adapter],
                receivedAt: receivedAt
            )
        )
    }

    /// What a room delivery needs: the occupant that speaks (to be joined first if it is not yet), its
    /// nick, and the groupchat message.
    public func outbound(_ delivery: Delivery) throws(DeliveryFailure) -> (occupant: JID, nick: String, message: XMLElement) {
        guard case .room(_, let room) = delivery.target else {
            throw .permanent("not-a-room", "a direct delivery reached the room translator")
        }
        guard let roomJID = try? JID(parsing: room), roomJID.local != nil, roomJID.resource == nil else {
            throw .permanent("room-jid-malformed", "the room channel \(room) is not a bare room JID")
        }
        let envelope = delivery.envelope
        let speaker = envelope.sender.labelledName
        let occupant: JID
        let nick: String
        var body = envelope.body
        switch self.mode {
        case .perSpeaker:
            do {
                occupant = try JIDEscaping.jid(for: envelope.sender.address, component: self.component)
            } catch {
                throw .permanent("jid-malformed", "the sender cannot be written as a JID: \(error)")
            }
            nick = speaker
        case .relay:
            occupant = self.listener
            nick = Self.listenerNick
            body = "[\(speaker)] \(body)"
        }
        var message = XMLElement(name: "message", namespace: ComponentStateMachine.namespace)
        message[attribute: "from"] = occupant.description
        message[attribute: "to"] = roomJID.description
        message[attribute: "type"] = "groupchat"
        message[attribute: "id"] = delivery.deliveryKey
        message.append(XMPPMessageTranslator.child("body", text: body))
        return (occupant, nick, message)
    }
}

public import BridgeModel
import Foundation
public import Logging

/// An org's XMPP server, reached as an XEP-0114 component (`type = "xmpp-component"`).
///
/// `run` keeps one component session up, reconnecting with backoff (the server restarting is routine).
/// Messages its users send to remote contacts become envelopes; anything refused is answered with a
/// stanza error and audited. Deliveries become messages from the remote sender's component JID. XMPP has
/// no acknowledgement on a component stream, so an item the store could not commit is answered with a
/// `wait` error the user's client shows, rather than silently dropped.
public final class XMPPComponentAdapter: Adapter {
    public let name: String
    public let org: String
    let settings: XMPPComponentSettings
    let secret: Secret
    let translator: XMPPMessageTranslator
    let presence: XMPPPresenceTranslator
    let responder: XMPPServiceResponder
    let room: XMPPRoomTranslator
    /// The bridged rooms (bare room JIDs) this component joins, from routes.toml at start-up.
    let rooms: [String]
    let logger: Logger
    let connection = Connection()
    let ledger = XMPPDeliveryLedger()

    actor Connection {
        var sender: XMPPComponentSender?
        /// Per session: which of our occupants are in which room (`occupant|room`), our nicks per room,
        /// who every other occupant is (their real address, nil when the room hides it), and the rooms whose
        /// roster is complete (the listener's own presence arrived).
        var joined: Set<String> = []
        var ownNicks: [String: Set<String>] = [:]
        var occupants: [String: [String: Address?]] = [:]
        var rosterComplete: Set<String> = []

        func set(_ sender: XMPPComponentSender?) {
            self.sender = sender
            self.joined = []
            self.ownNicks = [:]
            self.occupants = [:]
            self.rosterComplete = []
        }

        /// Records that `occupant` is joining `room` as `nick`; false if it already was.
        func join(_ occupant: String, room: String, nick: String) -> Bool {
            self.ownNicks[room, default: []].insert(nick)
            return self.joined.insert("\(occupant)|\(room)").inserted
        }

        /// An occupant presence the listener saw. The component's own occupants are not people.
        func saw(_ seen: XMPPRoomTranslator.OccupantPresence, component: String) {
            if seen.isSelf { self.rosterComplete.insert(seen.room) }
            if seen.leaving {
                self.occupants[seen.room]?[seen.nick] = nil
            } else if seen.realDomain != component, !seen.isSelf {
                self.occupants[seen.room, default: [:]][seen.nick] = .some(seen.real)
            }
        }

        func roomView(_ room: String) -> (own: Set<String>, occupants: [String: Address]) {
            (self.ownNicks[room] ?? [], (self.occupants[room] ?? [:]).compactMapValues { $0 })
        }

        /// Who a line into `room` reaches now: nil until the roster is complete.
        func audience(_ room: String) -> (people: [Address], hidden: [String])? {
            guard self.rosterComplete.contains(room) else { return nil }
            let own = self.ownNicks[room] ?? []
            var people: [Address] = []
            var hidden: [String] = []
            for (nick, real) in (self.occupants[room] ?? [:]).sorted(by: { $0.key < $1.key }) where !own.contains(nick) {
                if let real { people.append(real) } else { hidden.append(nick) }
            }
            return (people, hidden)
        }
    }

    public init(
        name: String, org: String, settings: XMPPComponentSettings, secret: Secret, rooms: [String] = [], logger: Logger
    ) throws(JIDError) {
        self.name = name
        self.org = org
        self.settings = settings
        self.secret = secret
        self.translator = XMPPMessageTranslator(adapter: name, component: settings.component)
        self.presence = XMPPPresenceTranslator(adapter: name, component: settings.component)
        self.responder = XMPPServiceResponder(component: settings.component)
        self.room = try XMPPRoomTranslator(adapter: name, component: settings.component, mode: settings.roomMode)
        self.rooms = rooms
        self.logger = logger
    }

    public var canDeliver: Bool { true }
    public var carriesPresence: Bool { true }

    public func run(sink: any InboundSink) async throws {
        var backoff = 1.0
        while !Task.isCancelled {
            do {
                try await XMPPComponentClient.withSession(
                    host: self.settings.host, port: self.settings.port, component: self.settings.component,
                    secret: self.secret
                ) { session in
                    await self.connection.set(session.sender)
                    self.logger.notice("component session established", metadata: ["component": "\(self.settings.component)"])
                    backoff = 1
                    let sender = session.sender
                    for room in self.rooms {
                        try await self.joinIfNeeded(occupant: self.room.listener, room: room, nick: XMPPRoomTranslator.listenerNick, via: sender)
                    }
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { try await self.keepalive(sender) }
                        while let inbound = try await session.next() {
                            switch inbound {
                            case .stanza(let stanza): await self.handle(stanza, sink: sink, sender: session.sender)
                            case .refused(let stanza, let reason):
                                // One bad stanza ends that stanza, never the session: answered and audited.
                                await self.refuse(
                                    stanza, type: "modify", condition: "not-acceptable", text: "the gateway refuses this stanza: \(reason)",
                                    sink: sink, sender: session.sender
                                )
                            }
                        }
                        group.cancelAll()
                    }
                }
                self.logger.notice("the XMPP server closed the component stream")
            } catch is CancellationError {
                break
            } catch {
                self.logger.warning("component session failed", metadata: ["error": "\(error)", "retry_in_seconds": "\(backoff)"])
                if let refused = error as? ComponentError, refused.isRefusedStream {
                    await sink.reject(
                        InboundRejection(adapter: self.name, reason: "xmpp-stream-\(refused.shortDescription)", detail: refused.description)
                    )
                }
            }
            await self.connection.set(nil)
            await self.ledger.linkLost()
            guard !Task.isCancelled else { break }
            try? await Task.sleep(for: .milliseconds(Int64(backoff * 1000)))
            backoff = min(backoff * 2, Double(self.settings.maxReconnectSeconds))
        }
        await self.connection.set(nil)
    }

    /// Writes a single space every `keepaliveSeconds` (RFC 6120 §4.6.1): a write to a dead peer fails and
    /// ends the session, which then reconnects.
    func keepalive(_ sender: XMPPComponentSender) async throws {
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(self.settings.keepaliveSeconds))
            try await sender.keepalive()
        }
    }

    func handle(_ stanza: XMLElement, sink: any InboundSink, sender: XMPPComponentSender) async {
        if await self.settle(stanza) { return }
        if self.isRoomTraffic(stanza) {
            await self.handleRoom(stanza, sink: sink)
            return
        }
        switch stanza.name {
        case "message":
            switch self.translator.inbound(stanza, receivedAt: Date()) {
            case .ignore: return
            case .refuse(let type, let condition, let text):
                await self.refuse(stanza, type: type, condition: condition, text: text, sink: sink, sender: sender)
            case .envelope(var envelope):
                envelope.reference = await self.reference(for: envelope, sink: sink)
                await self.accept(envelope, answering: stanza, sink: sink, sender: sender)
            }
        case "presence":
            switch self.presence.inbound(stanza, receivedAt: Date()) {
            case .ignore: return
            case .refuse(let type, let condition, let text):
                await self.refuse(stanza, type: type, condition: condition, text: text, sink: sink, sender: sender)
            case .envelope(let envelope): await self.accept(envelope, answering: stanza, sink: sink, sender: sender)
            case .probe(_, _, let envelope):
                // Never answered from a cache: the probe crosses the gate to the contact's side, whose own
                // server answers, and that answer crosses the gate back like any presence.
                await self.accept(envelope, answering: stanza, sink: sink, sender: sender)
            }
        case "iq":
            guard let type = stanza[attribute: "type"], type == "get" || type == "set" else { return }
            await self.reply(self.responder.answer(stanza), via: sender)
        default:
            return
        }
    }

    /// What a correction or reply names: the sender's own earlier stanza (`fullJID<TAB>id`), or a message
    /// the gateway delivered to them under that id.
    func reference(for envelope: Envelope, sink: any InboundSink) async -> MessageReference? {
        guard let id = envelope.inReplyTo else { return nil }
        if let jid = XMPPMessageTranslator.split(nativeID: envelope.origin.nativeID).jid,
            let own = await sink.resolve(XMPPMessageTranslator.nativeID(jid: jid, id: id), adapter: self.name)
        {
            return own
        }
        return await sink.resolve(id, adapter: self.name)
    }

    func refuse(
        _ stanza: XMLElement, type: String, condition: String, text: String, sink: any InboundSink, sender: XMPPComponentSender
    ) async {
        await sink.reject(
            InboundRejection(adapter: self.name, reason: "xmpp-\(condition)", nativeID: stanza[attribute: "id"], detail: text)
        )
        guard stanza[attribute: "type"] != "error" else { return }
        await self.reply(XMPPMessageTranslator.error(answering: stanza, type: type, condition: condition, text: text), via: sender)
    }

    func accept(_ envelope: Envelope, answering stanza: XMLElement, sink: any InboundSink, sender: XMPPComponentSender) async {
        var envelope = envelope
        envelope.origin.freshForSeconds = self.settings.dedupeWindowSeconds
        do {
            _ = try await sink.accept(envelope)
            // XEP-0184: the receipt says the gateway holds the message durably (it is committed now), so a
            // client never shows "delivered" for a message lost between the server's hand-over and the commit.
            if let receipt = XMPPMessageTranslator.receipt(answering: stanza) { await self.reply(receipt, via: sender) }
        } catch let error as AcceptError where error.isRefusal {
            await sink.reject(
                InboundRejection(adapter: self.name, reason: error.reason.rawValue, nativeID: envelope.origin.nativeID, detail: error.detail)
            )
            let text = error.reason == .senderOutsideOrg ? "you may not send through this gateway" : "the gateway refuses this item: \(error.detail)"
            await self.reply(
                XMPPMessageTranslator.error(answering: stanza, type: "auth", condition: "forbidden", text: text),
                via: sender
            )
        } catch {
            self.logger.error("inbox commit failed", metadata: ["error": "\(error)"])
            await self.reply(
                XMPPMessageTranslator.error(
                    answering: stanza, type: "wait", condition: "resource-constraint",
                    text: "the gateway could not accept the item; send it again later"
                ),
                via: sender
            )
        }
    }

    /// Each stanza within the server's size limit (a long body shortened with a note); one that cannot be
    /// made to fit is a permanent failure, never a stanza that would break the link for every delivery.
    func fitted(_ stanzas: [XMLElement]) throws(DeliveryFailure) -> [XMLElement] {
        try stanzas.map { stanza throws(DeliveryFailure) in
            guard let fitted = XMPPStanzaSize.fit(stanza, limit: self.settings.maxStanzaBytes, namespace: ComponentStateMachine.namespace) else {
                throw .permanent("stanza-too-large", "the stanza does not fit in max_stanza_bytes (\(self.settings.maxStanzaBytes))")
            }
            return fitted
        }
    }

    /// Sends a stanza error; if the stream is broken the session loop notices and reconnects.
    func reply(_ stanza: XMLElement, via sender: XMPPComponentSender) async {
        do {
            try await sender.send(stanza)
        } catch {
            self.logger.notice("cannot send a stanza error", metadata: ["error": "\(error)"])
        }
    }

    /// One delivery is a window of one (``deliver(all:)``): the same translation, barrier and bounces.
    public func deliver(_ delivery: Delivery) async throws(DeliveryFailure) -> DeliveryReceipt {
        switch await self.sendWindow([delivery])[0] {
        case .delivered(let receipt): return receipt
        case .failed(let failure): throw failure
        case .notAttempted: throw .transient("not-attempted", "the delivery was not attempted")
        }
    }

    /// The stanzas of a direct delivery, by kind.
    func directStanzas(_ delivery: Delivery) throws(DeliveryFailure) -> [XMLElement] {
        switch delivery.envelope.kind {
        case .presence, .subscription: try self.presence.outbound(delivery)
        case .notice where delivery.envelope.notice?.originalKind == .subscription: self.presence.notice(delivery)
        case .notice: self.translator.notice(delivery)
        default: try self.translator.outbound(delivery)
        }
    }
}

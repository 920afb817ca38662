import BridgeModel
import Foundation
import Logging

/// Bridged XEP-0045 rooms: joining, who is who, and the room side of delivery.
extension XMPPComponentAdapter {
    func joinIfNeeded(occupant: JID, room: String, nick: String, via sender: XMPPComponentSender) async throws {
        guard await self.connection.join(occupant.description, room: room, nick: nick) else { return }
        try await sender.send(XMPPRoomTranslator.join(occupant: occupant, room: room, nick: nick))
    }

    /// Room traffic: occupant presence the listener sees (who is who), and groupchat messages.
    func handleRoom(_ stanza: XMLElement, sink: any InboundSink) async {
        if stanza.name == "presence" {
            if stanza[attribute: "type"] == "error" {
                self.logger.warning("a room refused one of the gateway's occupants", metadata: ["room": "\(stanza[attribute: "from"] ?? "")"])
            }
            guard let seen = XMPPRoomTranslator.occupant(stanza),
                stanza[attribute: "to"].flatMap({ try? JID(parsing: $0) })?.bare == self.room.listener.bare
            else { return }
            await self.connection.saw(seen, component: self.settings.component)
            return
        }
        let room = stanza[attribute: "from"].flatMap { try? JID(parsing: $0) }?.bare.description ?? ""
        let view = await self.connection.roomView(room)
        switch self.room.inbound(stanza, ownNicks: view.own, realAddress: { view.occupants[$0] }, receivedAt: Date()) {
        case .ignore: return
        case .reject(let reason, let detail):
            await sink.reject(InboundRejection(adapter: self.name, reason: reason, nativeID: stanza[attribute: "id"], detail: detail))
        case .envelope(var envelope):
            envelope.origin.freshForSeconds = self.settings.dedupeWindowSeconds
            do {
                _ = try await sink.accept(envelope)
            } catch {
                // A room has no way to ask its occupant to resend; the audit record is the trace.
                await sink.reject(
                    InboundRejection(adapter: self.name, reason: "room-message-not-accepted", nativeID: envelope.origin.nativeID, detail: "\(error)")
                )
            }
        }
    }

    func isRoomTraffic(_ stanza: XMLElement) -> Bool {
        if stanza.name == "message", stanza[attribute: "type"] == "groupchat" { return true }
        if stanza.name == "presence", let to = stanza[attribute: "to"].flatMap({ try? JID(parsing: $0) }) {
            if to.bare == self.room.listener.bare { return true }
            if stanza.element(named: "x", namespace: "http://jabber.org/protocol/muc#user") != nil { return true }
            if let from = stanza[attribute: "from"].flatMap({ try? JID(parsing: $0) }), self.rooms.contains(from.bare.description) {
                return true
            }
        }
        return false
    }

    /// Who is in a bridged room now, as the listener sees it, so each person can be decided.
    public func roomAudience(channel: String) async -> RoomAudience {
        guard let audience = await self.connection.audience(channel) else {
            return .unknown("the gateway's listener has not received the room's occupant list yet")
        }
        return .people(audience.people, hidden: audience.hidden)
    }

    func deliverToRoom(_ delivery: Delivery) async throws(DeliveryFailure) -> DeliveryReceipt {
        guard delivery.envelope.kind == .message || delivery.envelope.kind == .edit else {
            // Nothing is sent, so nothing may be recorded as delivered.
            throw .permanent("kind-not-carried-in-rooms", "a \(delivery.envelope.kind.rawValue) is not carried into XMPP rooms")
        }
        let (occupant, nick, message) = try self.room.outbound(delivery)
        guard let sender = await self.connection.sender else {
            throw .transient("not-connected", "the component session to the XMPP server is down")
        }
        guard let room = message[attribute: "to"] else { throw .permanent("room-jid-malformed", "no room") }
        // Every person in the room now must be one the gate allowed this line to reach; someone who joined
        // since the decision means deciding again.
        guard let cleared = delivery.audience, let present = await self.connection.audience(room), present.hidden.isEmpty,
            present.people.allSatisfy(cleared.contains)
        else {
            throw .transient("room-audience-changed", "the room's occupants changed since the line was cleared")
        }
        do {
            try await self.joinIfNeeded(occupant: occupant, room: room, nick: nick, via: sender)
        } catch {
            throw .transient("send-failed", "writing to the component stream failed")
        }
        // The barrier goes to the room itself: its answer follows the room's handling of the line.
        try await self.sendConfirmed(try self.fitted([message]), id: delivery.deliveryKey, barrierTo: room, via: sender)
        return DeliveryReceipt(nativeID: delivery.deliveryKey)
    }
}

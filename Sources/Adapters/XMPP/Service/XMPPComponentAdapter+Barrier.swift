import BridgeModel
import Foundation

/// Deliveries count only once the server confirmed them (see ``XMPPDeliveryLedger``).
extension XMPPComponentAdapter {
    static let pingNamespace = "urn:xmpp:ping"
    static let barrierPrefix = "bridged-barrier-"

    /// Writes a delivery's stanzas, then a ping barrier to `barrierTo` on the same stream, and returns
    /// once the server answered it. An error the server bounced for these stanzas (same id) fails the
    /// delivery: `wait` errors are retried, all others are permanent and name the condition.
    func sendConfirmed(
        _ stanzas: [XMLElement], id: String, barrierTo: String, via sender: XMPPComponentSender
    ) async throws(DeliveryFailure) {
        await self.ledger.watch(id)
        let barrierID = Self.barrierPrefix + UUID().uuidString
        var ping = XMLElement(name: "iq", namespace: ComponentStateMachine.namespace)
        ping[attribute: "type"] = "get"
        ping[attribute: "id"] = barrierID
        ping[attribute: "from"] = self.settings.component
        ping[attribute: "to"] = barrierTo
        ping.append(XMLElement(name: "ping", namespace: Self.pingNamespace))
        await self.ledger.expect(barrierID)
        do {
            for stanza in stanzas { try await sender.send(stanza) }
            try await sender.send(ping)
        } catch {
            _ = await self.ledger.finish(id)
            await self.ledger.forget(barrierID)
            throw .transient("send-failed", "writing to the component stream failed")
        }
        do {
            try await self.ledger.barrier(barrierID, timeout: .seconds(self.settings.keepaliveSeconds + 10))
        } catch {
            _ = await self.ledger.finish(id)
            throw .transient("unconfirmed", "\(error)")
        }
        let bounces = await self.ledger.finish(id)
        guard let first = bounces.first else { return }
        let detail = bounces.map { "\($0.from ?? "?"): \($0.type) \($0.condition)" }.joined(separator: "; ")
        if bounces.allSatisfy({ $0.type == "wait" }) { throw .transient("xmpp-\(first.condition)", detail) }
        throw .permanent("xmpp-\(bounces.first { $0.type != "wait" }?.condition ?? first.condition)", detail)
    }

    /// Takes the stanzas that answer the adapter's own deliveries: barrier answers and bounced errors.
    /// - Returns: true when the stanza was one of those.
    func settle(_ stanza: XMLElement) async -> Bool {
        guard let id = stanza[attribute: "id"] else { return false }
        let type = stanza[attribute: "type"]
        if stanza.name == "iq", type == "result" || type == "error", id.hasPrefix(Self.barrierPrefix) {
            return await self.ledger.answered(id)
        }
        guard type == "error", stanza.name != "iq" else { return false }
        let error = stanza.element(named: "error")
        let condition = error?.elements().first { $0.namespace == XMPPMessageTranslator.stanzasNamespace && $0.name != "text" }?.name
        let bounce = XMPPDeliveryLedger.Bounce(
            type: error?[attribute: "type"] ?? "cancel", condition: condition ?? "undefined-condition", from: stanza[attribute: "from"]
        )
        return await self.ledger.bounced(id, bounce)
    }
}

extension Delivery.Target {
    /// The domain of a direct delivery's recipients (they share one server), or nil for a room.
    var directDomain: String? {
        guard case .direct(let recipients) = self else { return nil }
        return recipients.first?.domain
    }
}

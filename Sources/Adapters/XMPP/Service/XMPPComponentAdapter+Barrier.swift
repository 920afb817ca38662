import BridgeModel
import Foundation

/// Deliveries count only once the server confirmed them (see ``XMPPDeliveryLedger``).
extension XMPPComponentAdapter {
    static let pingNamespace = "urn:xmpp:ping"
    static let barrierPrefix = "bridged-barrier-"

    /// One delivery's stanzas, all sharing the delivery's stanza id, and where its barrier goes: the
    /// recipients' domain (whose answer follows that domain's handling of the stanzas) or the room.
    struct Outgoing {
        var id: String
        var stanzas: [XMLElement]
        var barrierTo: String
    }

    /// Delivers a window: direct items are written together, followed by one ping barrier per domain they
    /// go to, so the window costs one round trip rather than one per item. A room line is delivered on its
    /// own (its occupants are checked just before it goes in), after the items before it are confirmed, so
    /// the order on the stream is the order given.
    public func deliver(all deliveries: [Delivery]) async -> [DeliveryOutcome] {
        await self.sendWindow(deliveries)
    }

    /// The work of ``deliver(all:)``, shared with ``deliver(_:)`` (a window of one).
    func sendWindow(_ deliveries: [Delivery]) async -> [DeliveryOutcome] {
        var outcomes = [DeliveryOutcome?](repeating: nil, count: deliveries.count)
        var group: [(index: Int, outgoing: Outgoing)] = []
        func flush() async {
            guard !group.isEmpty else { return }
            let failures: [DeliveryFailure?]
            if let sender = await self.connection.sender {
                failures = await self.sendConfirmed(group.map(\.outgoing), via: sender)
            } else {
                failures = group.map { _ in .transient("not-connected", "the component session to the XMPP server is down") }
            }
            for (member, failure) in zip(group, failures) {
                outcomes[member.index] = failure.map(DeliveryOutcome.failed)
                    ?? .delivered(DeliveryReceipt(nativeID: member.outgoing.id))
            }
            group = []
        }
        for (index, delivery) in deliveries.enumerated() {
            if case .room = delivery.target {
                await flush()
                do {
                    outcomes[index] = .delivered(try await self.deliverToRoom(delivery))
                } catch {
                    outcomes[index] = .failed(error)
                }
                continue
            }
            do {
                let stanzas = try self.fitted(try self.directStanzas(delivery))
                let domain = delivery.target.directDomain ?? self.settings.component
                group.append((index, Outgoing(id: delivery.deliveryKey, stanzas: stanzas, barrierTo: domain)))
            } catch {
                outcomes[index] = .failed(error)
            }
        }
        await flush()
        return outcomes.map { $0 ?? .notAttempted }
    }

    /// Writes one delivery's stanzas and its barrier, and returns once the server answered it.
    func sendConfirmed(
        _ stanzas: [XMLElement], id: String, barrierTo: String, via sender: XMPPComponentSender
    ) async throws(DeliveryFailure) {
        if let failure = await self.sendConfirmed([Outgoing(id: id, stanzas: stanzas, barrierTo: barrierTo)], via: sender)[0] {
            throw failure
        }
    }

    /// Writes every item's stanzas, then a ping barrier to each distinct barrier target on the same stream,
    /// and waits for the answers. - Returns: per item, nil when it is confirmed, else why not: an error the
    /// server bounced for its stanzas (same id) is permanent and names the condition unless every bounce is
    /// a `wait`; a barrier not answered (link lost, timeout) fails the items it covers transiently.
    func sendConfirmed(_ batch: [Outgoing], via sender: XMPPComponentSender) async -> [DeliveryFailure?] {
        for outgoing in batch { await self.ledger.watch(outgoing.id) }
        var barriers: [(id: String, to: String)] = []
        for target in batch.map(\.barrierTo) where !barriers.contains(where: { $0.to == target }) {
            let barrier = (id: Self.barrierPrefix + UUID().uuidString, to: target)
            await self.ledger.expect(barrier.id)
            barriers.append(barrier)
        }
        let pings = barriers.map { barrier in
            var ping = XMLElement(name: "iq", namespace: ComponentStateMachine.namespace)
            ping[attribute: "type"] = "get"
            ping[attribute: "id"] = barrier.id
            ping[attribute: "from"] = self.settings.component
            ping[attribute: "to"] = barrier.to
            ping.append(XMLElement(name: "ping", namespace: Self.pingNamespace))
            return ping
        }
        do {
            try await sender.send(batch.flatMap(\.stanzas) + pings)
        } catch {
            for outgoing in batch { _ = await self.ledger.finish(outgoing.id) }
            for barrier in barriers { await self.ledger.forget(barrier.id) }
            return batch.map { _ in .transient("send-failed", "writing to the component stream failed") }
        }
        var unconfirmed: [String: DeliveryFailure] = [:]
        for barrier in barriers {
            do {
                try await self.ledger.barrier(barrier.id, timeout: .seconds(self.settings.keepaliveSeconds + 10))
            } catch {
                unconfirmed[barrier.to] = .transient("unconfirmed", "\(error)")
            }
        }
        var failures: [DeliveryFailure?] = []
        for outgoing in batch {
            let bounces = await self.ledger.finish(outgoing.id)
            failures.append(unconfirmed[outgoing.barrierTo] ?? Self.failure(bounces))
        }
        return failures
    }

    /// What the errors the server bounced for one delivery mean: none is success; only `wait` errors
    /// are retried; any other names its condition and is permanent.
    static func failure(_ bounces: [XMPPDeliveryLedger.Bounce]) -> DeliveryFailure? {
        guard let first = bounces.first else { return nil }
        let detail = bounces.map { "\($0.from ?? "?"): \($0.type) \($0.condition)" }.joined(separator: "; ")
        if bounces.allSatisfy({ $0.type == "wait" }) { return .transient("xmpp-\(first.condition)", detail) }
        return .permanent("xmpp-\(bounces.first { $0.type != "wait" }?.condition ?? first.condition)", detail)
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

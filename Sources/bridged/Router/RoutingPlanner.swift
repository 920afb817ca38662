import Logging
import BridgeModel
import PolicyGate

/// Decides one envelope: a policy decision for every party it would reach, and the cleared deliveries.
/// Pure: no I/O, so every routing rule is testable without a store.
struct RoutingPlanner {
    struct Plan: Sendable {
        var events: [AuditEvent] = []
        var entries: [OutboxEntry] = []
        var denied = 0
        /// Direct recipients the gate denied, with the first denial's reason.
        var deniedRecipients: [Address] = []
        var denialReason: String?
        /// Direct recipients who are allowed but cannot be reached in this kind (a subscription request to a
        /// contact on chat), to be told to the sender.
        var unreachableRecipients: [Address] = []
    }

    let routing: Routing
    /// Adapters that can deliver right now.
    let deliverable: Set<String>
    let recovered: Bool
    /// Adapters whose protocol has presence and subscriptions (XMPP); others are not sent either.
    var presenceCarriers: Set<String> = []

    func plan(_ envelope: Envelope) -> Plan {
        if let conversation = envelope.conversation {
            return self.planRoom(envelope, conversation)
        }
        return self.planDirect(envelope)
    }

    private func planDirect(_ envelope: Envelope) -> Plan {
        var plan = Plan()
        let gate = self.routing.gate
        let sender = gate.party(envelope.sender.address)
        var allowed: [String: [(Address, PolicyDecision)]] = [:]
        for recipient in envelope.recipients {
            let party = gate.party(recipient)
            let decision = gate.decide(
                PolicyRequest(
                    kind: envelope.kind, from: sender, to: party,
                    senderAuthenticated: !envelope.labels.contains(PolicyGate.unauthenticatedLabel)
                )
            )
            let adapter = party.org.flatMap { self.routing.reach[$0] }
            plan.events.append(
                .decided(
                    envelope, to: [recipient.description], room: nil, adapter: adapter, decision: decision,
                    recovered: self.recovered
                )
            )
            guard decision.isAllowed else {
                plan.denied += 1
                plan.deniedRecipients.append(recipient)
                plan.denialReason = plan.denialReason ?? decision.reason
                continue
            }
            guard let adapter else {
                plan.events.append(self.undeliverable(envelope, to: recipient.description, adapter: nil, reason: "no-route"))
                continue
            }
            if let problem = self.problem(envelope, adapter: adapter) {
                plan.events.append(self.undeliverable(envelope, to: recipient.description, adapter: adapter, reason: problem))
                if envelope.kind == .subscription, envelope.subscription == .request {
                    // The requester would otherwise wait forever for an answer.
                    plan.unreachableRecipients.append(recipient)
                }
                continue
            }
            allowed[adapter, default: []].append((recipient, decision))
        }
        for (adapter, cleared) in allowed.sorted(by: { $0.key < $1.key }) {
            let recipients = cleared.map(\.0)
            let target = Delivery.Target.direct(recipients)
            guard let clearance = gate.clear(envelope, adapter: adapter, target: target, decisions: cleared.map(\.1)) else {
                continue
            }
            let key = "direct:\(envelope.sender.address)>" + recipients.map(\.description).sorted().joined(separator: ",")
            plan.entries.append(OutboxEntry(clearance: clearance, envelope: envelope, conversation: key))
        }
        return plan
    }

    private func planRoom(_ envelope: Envelope, _ conversation: ConversationRef) -> Plan {
        var plan = Plan()
        let gate = self.routing.gate
        guard let room = self.routing.rooms[conversation] else {
            plan.events.append(self.undeliverable(envelope, to: nil, adapter: nil, reason: "channel-not-bridged"))
            return plan
        }
        let sender = gate.party(envelope.sender.address)
        for member in room.members where member.adapter != conversation.adapter {
            let party = Party(address: nil, org: self.routing.adapterOrgs[member.adapter])
            let decision = gate.decide(
                PolicyRequest(
                    kind: envelope.kind, from: sender, to: party,
                    senderAuthenticated: !envelope.labels.contains(PolicyGate.unauthenticatedLabel)
                )
            )
            plan.events.append(
                .decided(envelope, to: nil, room: room.id, adapter: member.adapter, decision: decision, recovered: self.recovered)
            )
            guard decision.isAllowed else {
                plan.denied += 1
                continue
            }
            if let problem = self.problem(envelope, adapter: member.adapter) {
                plan.events.append(self.undeliverable(envelope, to: nil, adapter: member.adapter, reason: problem))
                continue
            }
            let target = Delivery.Target.room(room: room.id, channel: member.channel)
            guard let clearance = gate.clear(envelope, adapter: member.adapter, target: target, decisions: [decision]) else {
                continue
            }
            plan.entries.append(
                OutboxEntry(clearance: clearance, envelope: envelope, conversation: "room:\(room.id)")
            )
        }
        return plan
    }

    /// Why an allowed envelope still cannot go out through `adapter`, or nil.
    private func problem(_ envelope: Envelope, adapter: String) -> String? {
        if envelope.hops.contains(adapter) || envelope.origin.adapter == adapter { return "loop" }
        if !self.deliverable.contains(adapter) { return "adapter-cannot-deliver" }
        if envelope.kind == .presence || envelope.kind == .subscription, !self.presenceCarriers.contains(adapter) {
            return "kind-not-carried"
        }
        return nil
    }

    private func undeliverable(_ envelope: Envelope, to: String?, adapter: String?, reason: String) -> AuditEvent {
        var event = AuditEvent(.deadLettered)
        event.envelope = envelope.id.rawValue
        event.to = to.map { [$0] }
        event.adapter = adapter
        event.reason = reason
        event.detail = switch reason {
        case "no-route": "no route reaches the recipient's org (routes.toml [[reach]])"
        case "channel-not-bridged": "the channel is not a member of any bridged room (routes.toml [[room]])"
        case "loop": "the envelope already crossed this adapter"
        case "kind-not-carried": "the destination's protocol has no presence or subscriptions"
        default: "the adapter has no outbound side"
        }
        return event
    }
}

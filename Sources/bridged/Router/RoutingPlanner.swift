import Logging
import BridgeModel
import PolicyGate

/// Decides one envelope: a policy decision for every party it would reach, the cleared deliveries, and the
/// notices its sender is owed. Pure: no I/O, so every routing rule is testable without a store.
///
/// The delivery worker uses the same planner to decide a queued item again when the policy changed since it
/// was cleared (``redecide(_:)``), so a decision at delivery follows exactly the rules of one at routing.
struct RoutingPlanner {
    struct Plan: Sendable {
        var events: [AuditEvent] = []
        var entries: [OutboxEntry] = []
        /// Deliveries a quarantine rule holds for review.
        var held: [HeldEntry] = []
        var denied = 0
        /// The gateway's notices to the sender (denied, held or unreachable recipients), stored with the decision.
        var notices: [Envelope] = []
    }

    /// The outcome of deciding a queued delivery again.
    struct Redecision: Sendable {
        var events: [AuditEvent] = []
        /// The clearance under the gate in force, for the recipients still allowed; nil when none is.
        var clearance: Clearance?
        /// The recipients a quarantine rule now holds; nil when none is.
        var held: HeldEntry?
        var notices: [Envelope] = []
        var denied = 0
    }

    let routing: Routing
    /// Adapters that can deliver right now.
    let deliverable: Set<String>
    let recovered: Bool
    /// Adapters whose protocol has presence and subscriptions (XMPP); others are not sent either.
    var presenceCarriers: Set<String> = []
    /// For edits and retractions: the adapters each referenced original was delivered through. An edit goes
    /// only where its original went.
    var deliveredOriginals: [EnvelopeID: Set<String>] = [:]
    /// Quarantine rules a reviewer overrode (deciding a released item): they do not hold it again.
    var releasing: Set<String> = []
    /// Set when routing (not when deciding again): rate_limit rules count the item here, once.
    var rateLimits: RateLimitUse?

    func plan(_ envelope: Envelope) -> Plan {
        if envelope.kind == .notice { return self.planNotice(envelope) }
        if let conversation = envelope.conversation {
            return self.planRoom(envelope, conversation)
        }
        return self.planDirect(envelope)
    }

    // MARK: - Decisions, shared by routing and re-decision

    private var gate: PolicyGate { self.routing.gate }

    private func request(_ envelope: Envelope, to party: Party, place: PolicyContent.Place = .direct) -> PolicyRequest {
        PolicyRequest(
            kind: envelope.kind, from: self.gate.party(envelope.sender.address), to: party,
            senderAuthenticated: !envelope.labels.contains(EnvelopeLabel.unauthenticated),
            content: PolicyContent(envelope, place: place)
        )
    }

    func decideDirect(_ envelope: Envelope, to recipient: Address) -> PolicyDecision {
        self.limited(envelope, self.request(envelope, to: self.gate.party(recipient)))
    }

    /// The gate's decision, then the item's rate limits where it is being routed.
    private func limited(_ envelope: Envelope, _ request: PolicyRequest) -> PolicyDecision {
        let decision = self.gate.decide(request, releasing: self.releasing)
        guard let rateLimits else { return decision }
        return rateLimits.apply(decision, request, gate: self.gate, at: envelope.receivedAt)
    }

    /// A room line is decided for the audience of the member channel it would reach: each subject the
    /// member declares in routes.toml (`org:NAME`, `group:ORG/NAME` or a person), or the org of the
    /// member's adapter.
    /// - Returns: each subject with its decision.
    func decideRoom(_ envelope: Envelope, room: String, member: RoutesConfig.Room.Member) -> [(String, PolicyDecision)] {
        self.routing.audience(of: member).map {
            ($0.subject, self.limited(envelope, self.request(envelope, to: $0.party, place: .room(room))))
        }
    }

    // MARK: - Routing

    private func planDirect(_ envelope: Envelope) -> Plan {
        var plan = Plan()
        // Per adapter and set of redact/annotate rules: one clearance each, so each gets its own content.
        var allowed: [DeliveryGroup: [(Address, PolicyDecision)]] = [:]
        var held: [String: [(Address, PolicyDecision)]] = [:]
        var journals: [String] = []
        var deniedRecipients: [(Address, PolicyDecision)] = []
        var unreachable: [Address] = []
        for recipient in envelope.recipients {
            let party = self.gate.party(recipient)
            let decision = self.decideDirect(envelope, to: recipient)
            let adapter = party.org.flatMap { self.routing.reach[$0] }
            for rule in decision.journals where !journals.contains(rule) { journals.append(rule) }
            plan.events.append(
                .decided(
                    envelope, to: [recipient.description], room: nil, adapter: adapter, decision: decision,
                    recovered: self.recovered
                )
            )
            guard decision.isAllowed || decision.isHeld else {
                plan.denied += 1
                deniedRecipients.append((recipient, decision))
                continue
            }
            guard let adapter else {
                plan.events.append(self.undeliverable(envelope, to: recipient.description, adapter: nil, reason: "no-route"))
                continue
            }
            if let problem = self.problem(envelope, adapter: adapter) {
                plan.events.append(self.undeliverable(envelope, to: recipient.description, adapter: adapter, reason: problem))
                if envelope.kind == .subscription, envelope.subscription == .request, problem == "kind-not-carried" {
                    // The requester would otherwise wait forever for an answer.
                    unreachable.append(recipient)
                }
                continue
            }
            if decision.isHeld {
                held[adapter, default: []].append((recipient, decision))
                continue
            }
            allowed[DeliveryGroup(adapter: adapter, transforms: decision.transforms), default: []].append((recipient, decision))
        }
        for (adapter, recipients) in held.sorted(by: { $0.key < $1.key }) {
            plan.held += self.holds(envelope, adapter: adapter, recipients)
        }
        for (group, cleared) in allowed.sorted(by: { $0.key < $1.key }) {
            let recipients = cleared.map(\.0)
            let target = Delivery.Target.direct(recipients)
            guard let clearance = self.gate.clear(envelope, adapter: group.adapter, target: target, decisions: cleared.map(\.1)) else {
                continue
            }
            let entry = OutboxEntry(clearance: clearance, conversation: Self.conversation(envelope, recipients))
            if let event = Self.transformedEvent(entry) { plan.events.append(event) }
            plan.entries.append(entry)
        }
        self.journalCopies(envelope, journals, into: &plan)
        plan.notices += self.notices(about: envelope, denied: deniedRecipients, .denied, "routing")
        plan.notices += self.notices(about: envelope, denied: held.sorted(by: { $0.key < $1.key }).flatMap(\.value), .held, "routing")
        if !unreachable.isEmpty, let notice = self.notice(about: envelope, unreachable, .unreachable, "routing") {
            plan.notices.append(notice)
        }
        return plan
    }

    private func planRoom(_ envelope: Envelope, _ conversation: ConversationRef) -> Plan {
        var plan = Plan()
        guard let room = self.routing.rooms[conversation] else {
            plan.events.append(self.undeliverable(envelope, to: nil, adapter: nil, reason: "channel-not-bridged"))
            return plan
        }
        var journals: [String] = []
        for member in room.members where member.adapter != conversation.adapter {
            let decisions = self.decideRoom(envelope, room: room.id, member: member)
            for rule in decisions.flatMap(\.1.journals) where !journals.contains(rule) { journals.append(rule) }
            for (subject, decision) in decisions {
                plan.events.append(
                    .decided(
                        envelope, to: member.audience.isEmpty ? nil : [subject], room: room.id, adapter: member.adapter,
                        decision: decision, recovered: self.recovered
                    )
                )
            }
            guard decisions.allSatisfy({ $0.1.isAllowed || $0.1.isHeld }) else {
                plan.denied += 1
                continue
            }
            if let problem = self.problem(envelope, adapter: member.adapter) {
                plan.events.append(self.undeliverable(envelope, to: nil, adapter: member.adapter, reason: problem))
                continue
            }
            let target = Delivery.Target.room(room: room.id, channel: member.channel)
            if let hold = Self.hold(envelope, adapter: member.adapter, target: target, conversation: "room:\(room.id)", decisions.map(\.1)) {
                // The line reaches this channel only if a reviewer releases it (a room's sender is not told,
                // as for a denied line: the room's other channels may have it already).
                plan.held.append(hold)
                continue
            }
            guard let clearance = self.gate.clear(envelope, adapter: member.adapter, target: target, decisions: decisions.map(\.1)) else {
                continue
            }
            let entry = OutboxEntry(clearance: clearance, conversation: "room:\(room.id)")
            if let event = Self.transformedEvent(entry) { plan.events.append(event) }
            plan.entries.append(entry)
        }
        self.journalCopies(envelope, journals, into: &plan)
        return plan
    }

    /// A notice goes to the original sender only, through the adapter that accepted the original (its
    /// origin), and only if the gate allows it (the gateway never answers an unauthenticated sender).
    private func planNotice(_ envelope: Envelope) -> Plan {
        var plan = Plan()
        let adapter = envelope.origin.adapter
        let decision = self.decideNotice(envelope)
        plan.events.append(
            .decided(
                envelope, to: envelope.recipients.map(\.description), room: nil, adapter: adapter, decision: decision,
                recovered: self.recovered
            )
        )
        // Nobody is told about a notice that was denied: no notice is ever about a notice.
        guard decision.isAllowed else {
            plan.denied += 1
            return plan
        }
        guard self.deliverable.contains(adapter) else {
            plan.events.append(self.undeliverable(envelope, to: nil, adapter: adapter, reason: "adapter-cannot-deliver"))
            return plan
        }
        let target = Delivery.Target.direct(envelope.recipients)
        if let clearance = self.gate.clear(envelope, adapter: adapter, target: target, decisions: [decision]) {
            plan.entries.append(OutboxEntry(clearance: clearance, conversation: Self.conversation(envelope, envelope.recipients)))
        }
        return plan
    }

    /// A notice must be the gateway's, about an item, to exactly that item's sender.
    func decideNotice(_ envelope: Envelope) -> PolicyDecision {
        let to = envelope.recipients.count == 1 && envelope.notice != nil ? envelope.recipients[0] : GatewayIdentity.address
        return self.gate.decide(self.request(envelope, to: self.gate.party(to)))
    }

    // MARK: - Deciding a queued delivery again

    /// Decides a queued delivery under the gate in force (the policy changed since it was cleared, or it was
    /// replayed from the dead letters). Recipients now denied are dropped from the delivery and told; the
    /// rest keep going with a new clearance.
    ///
    /// A reviewer's release decides a held item the same way, with ``releasing`` set to the rules that held
    /// it: `deniedReason` is then `.denied` and `discriminator` names the release in the notices' ids.
    func redecide(_ item: OutboxItem, deniedReason: Notice.Reason = .policyChanged, discriminator: String? = nil) -> Redecision {
        let discriminator = discriminator ?? String(item.id)
        var result = Redecision()
        if let rule = PolicyGate.journalRule(ofConversation: item.conversation) {
            // A journal copy is cleared by its rule alone: while the policy in force still has the rule, it goes.
            guard let clearance = self.gate.clearJournal(item.envelope, rule: rule, adapter: item.adapter) else {
                result.denied += 1
                return result
            }
            var event = AuditEvent.decided(
                item.envelope, to: journalRecipients(clearance.target), room: nil, adapter: item.adapter,
                decision: clearance.decisions[0], recovered: false
            )
            event.redecided = true
            event.journal = true
            result.events.append(event)
            result.clearance = clearance
            return result
        }
        let envelope = item.envelope
        var decisions: [PolicyDecision] = []
        var target = item.target
        func record(_ decision: PolicyDecision, to: [String]?, room: String?) {
            var event = AuditEvent.decided(envelope, to: to, room: room, adapter: item.adapter, decision: decision, recovered: false)
            event.redecided = true
            result.events.append(event)
        }
        switch item.target {
        case .direct(let recipients) where envelope.kind == .notice:
            let decision = self.decideNotice(envelope)
            record(decision, to: recipients.map(\.description), room: nil)
            if decision.isAllowed { decisions.append(decision) } else { result.denied += 1 }
        case .direct(let recipients):
            var still: [Address] = []
            var denied: [(Address, PolicyDecision)] = []
            var held: [(Address, PolicyDecision)] = []
            for recipient in recipients {
                let decision = self.decideDirect(envelope, to: recipient)
                record(decision, to: [recipient.description], room: nil)
                if decision.isAllowed {
                    still.append(recipient)
                    decisions.append(decision)
                } else if decision.isHeld {
                    held.append((recipient, decision))
                } else {
                    denied.append((recipient, decision))
                    result.denied += 1
                }
            }
            target = .direct(still)
            result.notices += self.notices(about: envelope, denied: denied, deniedReason, discriminator)
            if !held.isEmpty {
                result.held = Self.hold(
                    envelope, adapter: item.adapter, target: .direct(held.map(\.0)), conversation: item.conversation, held.map(\.1)
                )
                // Held again by a rule a reviewer did not override: the reviewer hears it, not the sender.
                if self.releasing.isEmpty { result.notices += self.notices(about: envelope, denied: held, .held, discriminator) }
            }
        case .room(let room, let channel):
            let member = self.routing.rooms[ConversationRef(adapter: item.adapter, channel: channel)]?.members
                .first { $0.adapter == item.adapter && $0.channel == channel }
            guard let member else {
                // The room left routes.toml since the line was queued: it goes nowhere.
                result.denied += 1
                break
            }
            let memberDecisions = self.decideRoom(envelope, room: room, member: member)
            for (subject, decision) in memberDecisions {
                record(decision, to: member.audience.isEmpty ? nil : [subject], room: room)
            }
            if memberDecisions.allSatisfy({ $0.1.isAllowed }) {
                decisions = memberDecisions.map(\.1)
            } else if memberDecisions.allSatisfy({ $0.1.isAllowed || $0.1.isHeld }) {
                result.held = Self.hold(
                    envelope, adapter: item.adapter, target: item.target, conversation: item.conversation, memberDecisions.map(\.1)
                )
            } else {
                result.denied += 1
            }
        }
        if !decisions.isEmpty {
            result.clearance = self.gate.clear(envelope, adapter: item.adapter, target: target, decisions: decisions)
            if let clearance = result.clearance, clearance.envelope != envelope,
                let event = Self.transformedEvent(OutboxEntry(clearance: clearance, conversation: item.conversation))
            {
                result.events.append(event)
            }
        }
        return result
    }

    // MARK: - Helpers

    private func journalRecipients(_ target: Delivery.Target) -> [String]? {
        if case .direct(let recipients) = target { return recipients.map(\.description) }
        return nil
    }

    /// The journal copies the matched journal rules ask for, one per rule: each to its destination through
    /// the adapter that reaches that address's org, cleared by the gate and audited as a `decided` record
    /// marked `journal`. The loop guard does not apply: a copy to an archive goes nowhere further.
    private func journalCopies(_ envelope: Envelope, _ rules: [String], into plan: inout Plan) {
        for rule in rules {
            guard let destination = self.gate.journalDestination(rule) else { continue }
            guard let adapter = self.gate.party(destination).org.flatMap({ self.routing.reach[$0] }) else {
                plan.events.append(self.undeliverable(envelope, to: destination.description, adapter: nil, reason: "no-route"))
                continue
            }
            guard self.deliverable.contains(adapter) else {
                plan.events.append(self.undeliverable(envelope, to: destination.description, adapter: adapter, reason: "adapter-cannot-deliver"))
                continue
            }
            guard let clearance = self.gate.clearJournal(envelope, rule: rule, adapter: adapter) else { continue }
            var event = AuditEvent.decided(
                envelope, to: [destination.description], room: nil, adapter: adapter, decision: clearance.decisions[0], recovered: self.recovered
            )
            event.journal = true
            plan.events.append(event)
            plan.entries.append(OutboxEntry(clearance: clearance, conversation: PolicyGate.journalConversation(rule)))
        }
    }

    /// Where one cleared delivery goes: an adapter, with the redact and annotate rules its content gets.
    struct DeliveryGroup: Hashable, Comparable {
        var adapter: String
        var transforms: [String]

        static func < (lhs: Self, rhs: Self) -> Bool {
            (lhs.adapter, lhs.transforms.joined(separator: ",")) < (rhs.adapter, rhs.transforms.joined(separator: ","))
        }
    }

    /// The `transformed` record for an entry whose content the gate changed: what was masked (by hash and
    /// what found it, never the words), which disclaimers were appended, and the digest of what is enqueued.
    static func transformedEvent(_ entry: OutboxEntry) -> AuditEvent? {
        let clearance = entry.clearance
        guard clearance.transformed else { return nil }
        var event = AuditEvent(.transformed)
        event.envelope = clearance.envelopeID.rawValue
        event.adapter = clearance.adapter
        switch clearance.target {
        case .direct(let recipients): event.to = recipients.map(\.description)
        case .room(let room, _): event.room = room
        }
        if !clearance.redacted.isEmpty {
            event.redacted = clearance.redacted.map {
                AuditEvent.Redacted(rule: $0.rule, field: $0.finding.field.rawValue, found: $0.finding.finder, sha256: AuditEvent.sha256($0.finding.text))
            }
        }
        if !clearance.annotatedBy.isEmpty { event.annotated = clearance.annotatedBy }
        event.content_sha256 = entry.storedClearance.contentDigest
        return event
    }

    /// The held entries for recipients a quarantine rule holds, one per set of holding rules.
    private func holds(_ envelope: Envelope, adapter: String, _ recipients: [(Address, PolicyDecision)]) -> [HeldEntry] {
        var byRules: [[String]: [(Address, PolicyDecision)]] = [:]
        var order: [[String]] = []
        for (recipient, decision) in recipients {
            if byRules[decision.ruleIDs] == nil { order.append(decision.ruleIDs) }
            byRules[decision.ruleIDs, default: []].append((recipient, decision))
        }
        return order.compactMap { rules in
            let group = byRules[rules] ?? []
            let addresses = group.map(\.0)
            return Self.hold(
                envelope, adapter: adapter, target: .direct(addresses), conversation: Self.conversation(envelope, addresses), group.map(\.1)
            )
        }
    }

    /// What a hold keeps: the rules of every holding decision, or nil when none of `decisions` holds.
    static func hold(
        _ envelope: Envelope, adapter: String, target: Delivery.Target, conversation: String, _ decisions: [PolicyDecision]
    ) -> HeldEntry? {
        let holding = decisions.filter(\.isHeld)
        guard let first = holding.first else { return nil }
        var rules: [String] = []
        for rule in holding.flatMap(\.ruleIDs) where !rules.contains(rule) { rules.append(rule) }
        let notice: PolicyDocument.DenyNotice = holding.contains { $0.notice == .silent } ? .silent : first.notice
        return HeldEntry(
            envelope: envelope, adapter: adapter, target: target, conversation: conversation, rules: rules,
            revision: first.revision, reason: first.reason, notice: notice
        )
    }

    /// Ordering key: deliveries with the same adapter and conversation leave in enqueue order.
    static func conversation(_ envelope: Envelope, _ recipients: [Address]) -> String {
        "direct:\(envelope.sender.address.canonical)>" + recipients.map(\.canonical).sorted().joined(separator: ",")
    }

    /// The notices owed to `envelope`'s sender for the recipients the gate denied: one with the gateway's
    /// sentence, one per distinct `notice_text` of the deciding rules; none for those a silent rule denied.
    func notices(about envelope: Envelope, denied: [(Address, PolicyDecision)], _ reason: Notice.Reason, _ discriminator: String) -> [Envelope] {
        var standard: [Address] = []
        var worded: [String: [Address]] = [:]
        for (recipient, decision) in denied {
            switch decision.notice {
            case .standard: standard.append(recipient)
            case .text(let text): worded[text, default: []].append(recipient)
            case .silent: break
            }
        }
        var result: [Envelope] = []
        if !standard.isEmpty, let notice = self.notice(about: envelope, standard, reason, discriminator) { result.append(notice) }
        for (index, (text, recipients)) in worded.sorted(by: { $0.key < $1.key }).enumerated() {
            if let notice = self.notice(about: envelope, recipients, reason, "\(discriminator).\(index + 1)", explanation: text) {
                result.append(notice)
            }
        }
        return result
    }

    /// The notice owed to `envelope`'s sender, or nil when this kind of item warrants none (presence,
    /// receipts, notices themselves) or its adapter has no way to answer (an inbound-only webhook).
    func notice(
        about envelope: Envelope, _ recipients: [Address], _ reason: Notice.Reason, _ discriminator: String, explanation: String? = nil
    ) -> Envelope? {
        guard self.deliverable.contains(envelope.origin.adapter) else { return nil }
        switch envelope.kind {
        case .message, .edit, .retraction: break
        case .subscription where envelope.subscription == .request: break
        default: return nil
        }
        guard envelope.sender.address != GatewayIdentity.address else { return nil }
        return Notice.envelope(
            about: envelope, recipients: recipients, reason: reason, discriminator: discriminator, explanation: explanation
        )
    }

    /// Why an allowed envelope still cannot go out through `adapter`, or nil.
    private func problem(_ envelope: Envelope, adapter: String) -> String? {
        if envelope.hops.contains(adapter) || envelope.origin.adapter == adapter { return "loop" }
        if !self.deliverable.contains(adapter) { return "adapter-cannot-deliver" }
        if envelope.kind == .presence || envelope.kind == .subscription, !self.presenceCarriers.contains(adapter) {
            return "kind-not-carried"
        }
        if envelope.kind == .edit || envelope.kind == .retraction {
            guard let original = envelope.reference?.envelope,
                self.deliveredOriginals[original]?.contains(adapter) == true
            else { return "original-not-delivered-here" }
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
        case "original-not-delivered-here": "an edit or retraction goes only where its original was delivered"
        default: "the adapter has no outbound side"
        }
        return event
    }
}

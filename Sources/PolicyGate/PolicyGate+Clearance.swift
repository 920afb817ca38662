public import BridgeModel

/// Clearances: what lets a delivery go (confirmed, cleared with its redactions and disclaimers, or a journal
/// copy), and the rate-limit and journal lookups the router and worker ask of the gate in force.
extension PolicyGate {
    /// Confirms a queued delivery's clearance: a clearance again when `stored` was made by this gate's own
    /// revision, nil when the policy changed since (or the row was never cleared) and the item must be
    /// decided again.
    public func confirm(
        _ stored: StoredClearance, envelope: Envelope, adapter: String, target: Delivery.Target
    ) -> Clearance? {
        guard !stored.revision.isEmpty, stored.revision == self.revision, !stored.ruleIDs.isEmpty else { return nil }
        let decision = PolicyDecision(
            effect: .allow, ruleIDs: stored.ruleIDs, revision: self.revision, reason: "cleared under this revision"
        )
        // The row holds the envelope as it was cleared (already redacted and annotated); the caller has
        // checked that its content still has the stored digest.
        return Clearance(envelope: envelope, adapter: adapter, target: target, decisions: [decision])
    }

    /// Clears an envelope for one destination, given the decisions for every party it reaches there.
    ///
    /// - Returns: nil unless every decision was made by this gate's revision and allows.
    public func clear(
        _ envelope: Envelope,
        adapter: String,
        target: Delivery.Target,
        decisions: [PolicyDecision]
    ) -> Clearance? {
        guard !decisions.isEmpty, decisions.allSatisfy({ $0.isAllowed && $0.revision == self.revision }) else {
            return nil
        }
        var ids: [String] = []
        for id in decisions.flatMap(\.transforms) where !ids.contains(id) { ids.append(id) }
        guard !ids.isEmpty else { return Clearance(envelope: envelope, adapter: adapter, target: target, decisions: decisions) }
        ids = self.inPolicyOrder(ids)
        var delivered = envelope
        var redacted: [Clearance.Redacted] = []
        var annotatedBy: [String] = []
        // In policy order, so one set of rules always yields the same content.
        for rule in ids.compactMap({ self.transformRules[$0]?.rule }) {
            switch rule.action {
            case .redact:
                for finding in Self.redact(&delivered, rule.conditions) { redacted.append(.init(rule: rule.id, finding: finding)) }
            case .annotate:
                if let disclaimer = rule.disclaimer, Self.annotate(&delivered, rule.id, disclaimer) { annotatedBy.append(rule.id) }
            default:
                break
            }
        }
        return Clearance(envelope: delivered, adapter: adapter, target: target, decisions: decisions, redacted: redacted, annotatedBy: annotatedBy)
    }

    /// A rate_limit rule's limit, if this gate has the rule.
    public func rateLimit(_ rule: String) -> RateLimit? { self.rateLimitRules[rule]?.rateLimit }

    /// The decision for an item that `exceeded` rate_limit rules of `decision` have no token left for: a
    /// deny by those rules, with their notice (a barrier or deny would have decided before any limit).
    public func overLimit(_ decision: PolicyDecision, _ request: PolicyRequest, exceeded: [String]) -> PolicyDecision {
        guard !exceeded.isEmpty else { return decision }
        let limits = exceeded.compactMap { id in self.rateLimit(id).map { "\(id) (\($0))" } }
        return PolicyDecision(
            effect: .deny, ruleIDs: exceeded, revision: self.revision,
            reason: "\(request.kind.rawValue) from \(request.from) to \(request.to) is over the rate limit \(limits.joined(separator: ", "))",
            wouldBe: decision.wouldBe, notice: self.notice(exceeded), journals: decision.journals.filter { self.journalRules[$0]?.journalDenied == true }
        )
    }

    /// The ordering key of a journal copy's outbox row, which also tells a re-decision what the row is.
    public static func journalConversation(_ rule: String) -> String { Self.journalPrefix + rule }

    /// The journal rule whose copy a row with this ordering key is, or nil for any other row.
    public static func journalRule(ofConversation conversation: String) -> String? {
        conversation.hasPrefix(Self.journalPrefix) ? String(conversation.dropFirst(Self.journalPrefix.count)) : nil
    }

    /// The ordering-key prefix of journal copies (`journal:RULE`).
    public static let journalPrefix = "journal:"

    /// Clears the journal copy a journal rule of this gate asks for: the item as its sender wrote it, to the
    /// rule's `journal_to`, through `adapter` (the one that reaches that address's org). Nil when this gate
    /// has no such journal rule (a reload removed it).
    public func clearJournal(_ envelope: Envelope, rule id: String, adapter: String) -> Clearance? {
        guard let rule = self.journalRules[id], let destination = rule.journalTo else { return nil }
        let decision = PolicyDecision(
            effect: .allow, ruleIDs: [id], revision: self.revision, reason: "a journal copy to \(destination) by rule \(id)"
        )
        var copy = envelope
        copy.labels.insert(EnvelopeLabel.journalCopy)
        return Clearance(envelope: copy, adapter: adapter, target: .direct([destination]), decisions: [decision])
    }

    /// The journal rule's destination, if this gate has it.
    public func journalDestination(_ rule: String) -> Address? { self.journalRules[rule]?.journalTo }

    private static func redact(_ envelope: inout Envelope, _ conditions: RuleConditions) -> [Redaction.Finding] {
        var findings: [Redaction.Finding] = []
        if let subject = envelope.subject {
            let (masked, found) = Redaction.apply(subject, conditions.redactionRanges(in: subject, field: .subject), field: .subject)
            envelope.subject = masked
            findings += found
        }
        let (body, found) = Redaction.apply(envelope.body, conditions.redactionRanges(in: envelope.body, field: .body), field: .body)
        envelope.body = body
        findings += found
        if let rich = envelope.rich {
            let (masked, found) = Redaction.apply(rich.text, conditions.redactionRanges(in: rich.text, field: .rich), field: .rich)
            envelope.rich = RichBody(format: rich.format, text: masked)
            findings += found
        }
        return findings
    }

    /// Appends the disclaimer after a blank line to the plain body, and as its own paragraph to an HTML or
    /// Markdown body. - Returns: false when the envelope already carries it.
    private static func annotate(_ envelope: inout Envelope, _ rule: String, _ disclaimer: String) -> Bool {
        // The label makes deciding it again (after a reload, at a replay) never append the disclaimer twice.
        guard envelope.labels.insert(EnvelopeLabel.annotated(rule)).inserted else { return false }
        envelope.body += (envelope.body.isEmpty ? "" : "\n\n") + disclaimer
        if let rich = envelope.rich {
            let text = switch rich.format {
            case .html: rich.text + "\n<p>" + HTMLText.escaped(disclaimer[...]).split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "<br>") + "</p>"
            case .markdown: rich.text + "\n\n" + disclaimer
            }
            envelope.rich = RichBody(format: rich.format, text: text)
        }
        return true
    }
}

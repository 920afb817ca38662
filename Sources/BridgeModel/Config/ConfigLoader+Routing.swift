import Foundation

extension ConfigLoader {
    // MARK: routes.toml

    mutating func routes(_ file: RoutesFile, adapters: [AdapterDefinition], orgs: OrgDirectory) -> RoutesConfig {
        let name = "routes.toml"
        let byName = Dictionary(adapters.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var reach: [RoutesConfig.Reach] = []
        var reached: Set<String> = []
        for (index, entry) in (file.reach ?? []).enumerated() {
            let key = "reach[\(index)]"
            if orgs.orgs[entry.org] == nil {
                self.report(name, "\(key).org", "unknown org \"\(entry.org)\" (not in orgs.toml)")
            }
            if let adapter = byName[entry.adapter] {
                if case .webhook(let settings) = adapter.settings, settings.deliverURL == nil {
                    self.report(
                        name, "\(key).adapter",
                        "adapter \"\(entry.adapter)\" cannot deliver: it has no deliver_url (\(adapter.file))"
                    )
                }
                if adapter.org != entry.org {
                    self.report(
                        name, "\(key).adapter",
                        "adapter \"\(entry.adapter)\" speaks for org \(adapter.org), not \(entry.org)"
                    )
                }
            } else {
                self.report(name, "\(key).adapter", "unknown adapter \"\(entry.adapter)\" (no such file in adapters.d)")
            }
            if !reached.insert(entry.org).inserted {
                self.report(name, "\(key).org", "org \(entry.org) already has a reach route")
            }
            reach.append(.init(org: entry.org, adapter: entry.adapter))
        }
        var rooms: [RoutesConfig.Room] = []
        var roomIDs: Set<String> = []
        var channels: [RoutesConfig.Room.Member: String] = [:]
        for (index, room) in (file.room ?? []).enumerated() {
            let key = "room[\(index)]"
            if !Self.isValidName(room.id) { self.report(name, "\(key).id", "a room id uses \(Self.namePattern)") }
            if !roomIDs.insert(room.id).inserted { self.report(name, "\(key).id", "room \(room.id) is defined twice") }
            if room.member.count < 2 { self.report(name, "\(key).member", "a bridged room needs at least two members") }
            var members: [RoutesConfig.Room.Member] = []
            var memberAdapters: Set<String> = []
            for (memberIndex, member) in room.member.enumerated() {
                let memberKey = "\(key).member[\(memberIndex)]"
                if !memberAdapters.insert(member.adapter).inserted {
                    self.report(
                        name, "\(memberKey).adapter",
                        "adapter \(member.adapter) is already a member of room \(room.id): a room's members use different adapters (a message never goes back out through the adapter it came in on)"
                    )
                }
                if byName[member.adapter] == nil {
                    self.report(name, "\(memberKey).adapter", "unknown adapter \"\(member.adapter)\" (no such file in adapters.d)")
                }
                if member.channel.isEmpty { self.report(name, "\(memberKey).channel", "must not be empty") }
                var audience: [String] = []
                for (audienceIndex, written) in (member.audience?.values ?? []).enumerated() {
                    let audienceKey = member.audience?.values.count == 1 ? "\(memberKey).audience" : "\(memberKey).audience[\(audienceIndex)]"
                    // A bare `ORG/NAME` names a group.
                    let subject = !written.contains(":") && !written.contains("@") && written.contains("/") ? "group:\(written)" : written
                    if subject.hasPrefix("org:") || subject.hasPrefix("group:") {
                        if let problem = Self.subjectProblem(subject, orgs: orgs) { self.report(name, audienceKey, problem) }
                    } else if (try? Address(parsing: subject)) == nil {
                        self.report(name, audienceKey, "an audience is org:NAME, group:ORG/NAME (or ORG/NAME) or an address, not \"\(written)\"")
                    }
                    audience.append(subject)
                }
                let value = RoutesConfig.Room.Member(adapter: member.adapter, channel: member.channel)
                if let other = channels[value] {
                    self.report(name, "\(memberKey).channel", "channel \(member.channel) on \(member.adapter) is already in room \(other)")
                }
                channels[value] = room.id
                members.append(.init(adapter: member.adapter, channel: member.channel, audience: audience))
            }
            rooms.append(.init(id: room.id, members: members))
        }
        return RoutesConfig(reach: reach, rooms: rooms)
    }

    // MARK: policy.toml

    mutating func policy(_ file: PolicyFile, orgs: OrgDirectory, routes: RoutesConfig) -> PolicyDocument {
        let name = "policy.toml"
        var rules: [PolicyDocument.Rule] = []
        var ids: Set<String> = []
        for (index, raw) in (file.rule ?? []).enumerated() {
            let key = "rule[\(index)]"
            if raw.id.isEmpty || raw.id.hasPrefix(ReservedRuleID.prefix) {
                self.report(name, "\(key).id", "a rule id must be non-empty and must not start with \"\(ReservedRuleID.prefix)\"")
            }
            if !ids.insert(raw.id).inserted { self.report(name, "\(key).id", "rule id \(raw.id) is used twice") }
            let action = PolicyDocument.Rule.Action(rawValue: raw.action)
            if action == nil {
                let known = PolicyDocument.Rule.Action.allCases.map(\.rawValue).joined(separator: ", ")
                self.report(name, "\(key).action", "unknown action \"\(raw.action)\" (known: \(known))")
            }
            for (field, subjects) in [("from", raw.from), ("to", raw.to)] {
                if subjects.isEmpty { self.report(name, "\(key).\(field)", "needs at least one subject") }
                for (subjectIndex, subject) in subjects.enumerated() {
                    if let problem = Self.subjectProblem(subject, orgs: orgs) {
                        self.report(name, "\(key).\(field)[\(subjectIndex)]", problem)
                    }
                }
            }
            var kinds: Set<EnvelopeKind> = []
            for (kindIndex, kind) in (raw.kinds ?? []).enumerated() {
                if let value = EnvelopeKind(rawValue: kind) {
                    kinds.insert(value)
                } else {
                    let known = EnvelopeKind.allCases.map(\.rawValue).joined(separator: ", ")
                    self.report(name, "\(key).kinds[\(kindIndex)]", "unknown kind \"\(kind)\" (known: \(known))")
                }
            }
            if action == .quarantine, let other = kinds.subtracting(PolicyDocument.Rule.quarantinableKinds).first {
                self.report(
                    name, "\(key).kinds",
                    "only messages and edits are held for review, not \(other.rawValue) (a held \(other.rawValue) would be stale when released)"
                )
            }
            if let action, action.actsOnText, let other = kinds.subtracting(PolicyDocument.Rule.transformableKinds).first {
                let verb = switch action {
                case .redact: "redacted"
                case .annotate: "annotated"
                default: "journaled"
                }
                self.report(name, "\(key).kinds", "only messages and edits are \(verb), not \(other.rawValue)")
            }
            if let action, !action.decides, raw.mode == PolicyDocument.Mode.auditOnly.rawValue {
                self.report(name, "\(key).mode", "audit-only is for rules that decide (allow, deny, quarantine); \(action == .annotate ? "an" : "a") \(action.rawValue) rule acts beside the decision")
            }
            let journal = self.journal(raw, key: key, action: action, orgs: orgs, routes: routes)
            let rateLimit = self.rateLimit(raw, key: key, action: action)
            let disclaimer = self.disclaimer(raw.disclaimer, key: key, action: action)
            if raw.allow_unauthenticated == true, action != .allow {
                self.report(name, "\(key).allow_unauthenticated", "only an allow rule can let unauthenticated senders through")
            }
            let mode = self.mode(raw.mode, key: "\(key).mode")
            let conditions = self.conditions(raw, key: key, action: action, routes: routes)
            let notice = self.denyNotice(
                text: raw.notice_text, silent: raw.silent, key: key, deny: action == .deny || action == .quarantine || action == .rateLimit
            )
            guard let action else { continue }
            if action == .redact, raw.words == nil, raw.words_file == nil, raw.patterns == nil, raw.detectors == nil,
                raw.subject_words == nil, raw.subject_patterns == nil
            {
                self.report(name, "\(key).action", "a redact rule masks what its words, patterns or detectors find: give at least one")
            }
            rules.append(
                .init(
                    id: raw.id, action: action, from: raw.from, to: raw.to, kinds: kinds,
                    bothWays: raw.both_ways ?? false,
                    allowUnauthenticated: raw.allow_unauthenticated ?? false, mode: mode, conditions: conditions,
                    notice: notice, disclaimer: disclaimer, journalTo: journal, journalDenied: raw.journal_denied ?? false,
                    rateLimit: rateLimit, description: raw.description
                )
            )
        }
        var barriers: [PolicyDocument.Barrier] = []
        for (index, raw) in (file.barrier ?? []).enumerated() {
            let key = "barrier[\(index)]"
            if raw.id.isEmpty || raw.id.hasPrefix(ReservedRuleID.prefix) {
                self.report(name, "\(key).id", "a barrier id must be non-empty and must not start with \"\(ReservedRuleID.prefix)\"")
            }
            if !ids.insert(raw.id).inserted { self.report(name, "\(key).id", "id \(raw.id) is used twice (rules and barriers share ids)") }
            let mode = self.mode(raw.mode, key: "\(key).mode")
            let notice = self.denyNotice(text: raw.notice_text, silent: raw.silent, key: key, deny: true)
            guard raw.between.count == 2 else {
                self.report(name, "\(key).between", "a barrier is between exactly two sides, each group:ORG/NAME or org:NAME")
                continue
            }
            var valid = true
            for (sideIndex, side) in raw.between.enumerated() {
                let sideKey = "\(key).between[\(sideIndex)]"
                if !side.hasPrefix("group:") && !side.hasPrefix("org:") {
                    self.report(name, sideKey, "a barrier side is group:ORG/NAME or org:NAME, not \"\(side)\"")
                    valid = false
                } else if let problem = Self.subjectProblem(side, orgs: orgs) {
                    self.report(name, sideKey, problem)
                    valid = false
                }
            }
            if valid, let problem = Self.barrierProblem(raw.between[0], raw.between[1], orgs: orgs) {
                self.report(name, "\(key).between", problem)
                valid = false
            }
            if valid { barriers.append(.init(id: raw.id, between: raw.between, mode: mode, notice: notice, description: raw.description)) }
        }
        for (index, rule) in rules.enumerated() where rule.action == .allow && rule.mode == .enforce {
            // The rule's index in the file: rules with an unknown action were skipped above.
            let fileIndex = (file.rule ?? []).firstIndex { $0.id == rule.id } ?? index
            if let barrier = Self.barrier(shadowing: rule, barriers, orgs: orgs) {
                self.report(
                    name, "rule[\(fileIndex)].id",
                    "rule \(rule.id) can never decide: everyone it names on either side is walled off from the other by barrier \(barrier.id)"
                )
            } else if let deny = Self.deny(shadowing: rule, rules, orgs: orgs) {
                self.report(
                    name, "rule[\(fileIndex)].id",
                    "rule \(rule.id) can never decide: deny rule \(deny.id) matches everything it allows, and a deny beats an allow"
                )
            }
        }
        return PolicyDocument(revision: file.revision, rules: rules, barriers: barriers)
    }

    /// The enforced barrier that stops everything an allow rule would let through, if any: every subject in
    /// `from` is inside one side and every subject in `to` inside the other (both ways for a two-way rule).
    static func barrier(shadowing rule: PolicyDocument.Rule, _ barriers: [PolicyDocument.Barrier], orgs: OrgDirectory) -> PolicyDocument.Barrier? {
        func walled(_ from: [String], _ to: [String], _ barrier: PolicyDocument.Barrier) -> Bool {
            let (a, b) = (barrier.between[0], barrier.between[1])
            return (from.allSatisfy { subject($0, within: a, orgs: orgs) } && to.allSatisfy { subject($0, within: b, orgs: orgs) })
                || (from.allSatisfy { subject($0, within: b, orgs: orgs) } && to.allSatisfy { subject($0, within: a, orgs: orgs) })
        }
        return barriers.first { barrier in
            barrier.mode == .enforce && barrier.between.count == 2 && walled(rule.from, rule.to, barrier)
                && (!rule.bothWays || walled(rule.to, rule.from, barrier))
        }
    }

    /// The enforced, unconditional deny rule that matches everything an allow rule would let through, if
    /// any: for every kind the allow rule names, every subject it names on each side is within the deny
    /// rule's (both ways for a two-way rule). A deny beats an allow whatever their order, so such an allow
    /// rule can never decide.
    static func deny(shadowing rule: PolicyDocument.Rule, _ rules: [PolicyDocument.Rule], orgs: OrgDirectory) -> PolicyDocument.Rule? {
        func covers(_ deny: PolicyDocument.Rule, _ from: [String], _ to: [String]) -> Bool {
            func one(_ denyFrom: [String], _ denyTo: [String]) -> Bool {
                from.allSatisfy { subject in denyFrom.contains { Self.subject(subject, within: $0, orgs: orgs) } }
                    && to.allSatisfy { subject in denyTo.contains { Self.subject(subject, within: $0, orgs: orgs) } }
            }
            return one(deny.from, deny.to) || (deny.bothWays && one(deny.to, deny.from))
        }
        return rules.first { deny in
            deny.action == .deny && deny.mode == .enforce && deny.conditions.isEmpty
                && (deny.kinds.isEmpty || (!rule.kinds.isEmpty && rule.kinds.isSubset(of: deny.kinds)))
                && covers(deny, rule.from, rule.to) && (!rule.bothWays || covers(deny, rule.to, rule.from))
        }
    }

    /// Whether everyone `subject` names is also named by `wider`: `*` holds everyone; an org its groups, its
    /// own domains and addresses; a group the groups it includes and its listed members; `domain:*.NAME` the
    /// subdomains of NAME and their addresses; `domain:NAME` its addresses.
    static func subject(_ subject: String, within wider: String, orgs: OrgDirectory) -> Bool {
        if subject == wider || wider == "*" { return true }
        if subject == "*" { return false }
        let address = subject.contains("@") && !subject.contains(":") ? try? Address(parsing: subject) : nil
        if wider.hasPrefix("org:") {
            let org = String(wider.dropFirst(4))
            if subject.hasPrefix("group:") { return orgs.groups[String(subject.dropFirst(6))]?.org == org }
            if subject.hasPrefix("domain:") {
                let domain = String(subject.dropFirst(7)).lowercased()
                return !domain.hasPrefix("*.") && orgs.org(ofDomain: domain) == org
            }
            if let address { return orgs.org(of: address) == org }
            return false
        }
        if wider.hasPrefix("group:") {
            let group = String(wider.dropFirst(6))
            if subject.hasPrefix("group:") { return orgs.expand(group: group).contains(String(subject.dropFirst(6))) }
            if let address { return orgs.groupIDs(of: address).contains(group) }
            return false
        }
        if wider.hasPrefix("domain:") {
            let domain = String(wider.dropFirst(7)).lowercased()
            let narrower: String
            if subject.hasPrefix("domain:") {
                narrower = String(subject.dropFirst(7)).lowercased()
            } else if let address {
                narrower = address.domain.lowercased()
            } else {
                return false
            }
            if domain.hasPrefix("*.") {
                let base = String(domain.dropFirst(1))  // ".NAME"
                let bare = narrower.hasPrefix("*.") ? String(narrower.dropFirst(1)) : narrower
                return bare.hasSuffix(base) && bare != base
            }
            return narrower == domain
        }
        if let address, let other = try? Address(parsing: wider) { return address == other }
        return false
    }

    /// `notice_text` or `silent = true`, on a deny or quarantine rule or a barrier only, never both.
    mutating func denyNotice(text: String?, silent: Bool?, key: String, deny: Bool) -> PolicyDocument.DenyNotice {
        let name = "policy.toml"
        if !deny, text != nil || silent != nil {
            self.report(name, "\(key).\(text != nil ? "notice_text" : "silent")", "only a deny, quarantine or rate_limit rule or a barrier tells a sender anything")
            return .standard
        }
        switch (text, silent) {
        case (let text?, true):
            self.report(name, "\(key).notice_text", "a silent rule tells nobody: set notice_text or silent = true, not both")
            return .text(text)
        case (_, true): return .silent
        case (let text?, _):
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty || trimmed.count > 500 || trimmed.contains(where: { $0.isNewline }) {
                self.report(name, "\(key).notice_text", "the notice text is one line of 1 to 500 characters")
            }
            return .text(trimmed)
        default: return .standard
        }
    }

    /// `journal_to`: required on a journal rule (an address of a known org that routes.toml reaches), refused
    /// elsewhere, as is `journal_denied`.
    mutating func journal(
        _ raw: PolicyFile.Rule, key: String, action: PolicyDocument.Rule.Action?, orgs: OrgDirectory, routes: RoutesConfig
    ) -> Address? {
        let name = "policy.toml"
        guard let action else { return nil }
        guard action == .journal else {
            if raw.journal_to != nil { self.report(name, "\(key).journal_to", "only a journal rule has a journal destination") }
            if raw.journal_denied != nil { self.report(name, "\(key).journal_denied", "only a journal rule copies denied items") }
            return nil
        }
        guard let text = raw.journal_to else {
            self.report(name, "\(key).journal_to", "a journal rule needs journal_to, the address its copies go to")
            return nil
        }
        guard let address = try? Address(parsing: text) else {
            self.report(name, "\(key).journal_to", "\"\(text)\" is not an address")
            return nil
        }
        guard let org = orgs.org(of: address), routes.reach.contains(where: { $0.org == org }) else {
            self.report(
                name, "\(key).journal_to",
                "unknown journal destination \(address): its domain must belong to an org that routes.toml [[reach]]es"
            )
            return nil
        }
        return address
    }

    /// `rate` (required), `burst` and `per`, on a rate_limit rule only.
    mutating func rateLimit(_ raw: PolicyFile.Rule, key: String, action: PolicyDocument.Rule.Action?) -> RateLimit? {
        let name = "policy.toml"
        guard let action else { return nil }
        guard action == .rateLimit else {
            for (field, present) in [("rate", raw.rate != nil), ("burst", raw.burst != nil), ("per", raw.per != nil)] where present {
                self.report(name, "\(key).\(field)", "only a rate_limit rule has a \(field)")
            }
            return nil
        }
        let scope = RateLimit.Scope(rawValue: raw.per ?? "sender")
        if scope == nil {
            self.report(name, "\(key).per", "per is sender, org or org-pair, not \"\(raw.per ?? "")\"")
        }
        guard let rate = raw.rate else {
            self.report(name, "\(key).rate", "a rate_limit rule needs a rate, as \"20/minute\"")
            return nil
        }
        do {
            return try RateLimit(rate, burst: raw.burst, scope: scope ?? .sender)
        } catch {
            self.report(name, "\(key).\(error.message.hasPrefix("burst") ? "burst" : "rate")", error.message)
            return nil
        }
    }

    /// `disclaimer`: required on an annotate rule, refused on any other; 1 to 2,000 characters.
    mutating func disclaimer(_ text: String?, key: String, action: PolicyDocument.Rule.Action?) -> String? {
        let name = "policy.toml"
        guard let action else { return nil }
        guard action == .annotate else {
            if text != nil { self.report(name, "\(key).disclaimer", "only an annotate rule has a disclaimer") }
            return nil
        }
        let trimmed = text?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if trimmed.isEmpty || trimmed.count > 2000 {
            self.report(name, "\(key).disclaimer", "an annotate rule needs a disclaimer of 1 to 2,000 characters")
            return nil
        }
        return trimmed
    }

    mutating func mode(_ text: String?, key: String) -> PolicyDocument.Mode {
        guard let text else { return .enforce }
        guard let mode = PolicyDocument.Mode(rawValue: text) else {
            let known = PolicyDocument.Mode.allCases.map(\.rawValue).joined(separator: ", ")
            self.report("policy.toml", key, "unknown mode \"\(text)\" (known: \(known))")
            return .enforce
        }
        return mode
    }

    /// Why two barrier sides make no barrier, or nil: one side contains the other, so the barrier would wall
    /// people off from themselves.
    static func barrierProblem(_ first: String, _ second: String, orgs: OrgDirectory) -> String? {
        func org(of side: String) -> String {
            side.hasPrefix("org:") ? String(side.dropFirst(4)) : String(side.dropFirst(6).prefix { $0 != "/" })
        }
        if first == second { return "a barrier between \(first) and itself walls its members off from each other" }
        for (outer, inner) in [(first, second), (second, first)] {
            if outer.hasPrefix("org:"), org(of: inner) == org(of: outer), inner.hasPrefix("group:") {
                return "\(inner) is part of \(outer): the barrier would wall its members off from each other"
            }
            if outer.hasPrefix("group:"), inner.hasPrefix("group:"),
                orgs.expand(group: String(outer.dropFirst(6))).contains(String(inner.dropFirst(6)))
            {
                return "\(outer) includes \(inner): the barrier would wall its members off from each other"
            }
        }
        return nil
    }

    /// Why a policy subject is not valid, or nil. Subjects: `*`, `org:ID`, `domain:NAME`, `domain:*.NAME`,
    /// or an address.
    public static func subjectProblem(_ subject: String, orgs: OrgDirectory) -> String? {
        if subject == "*" { return nil }
        if subject.hasPrefix("org:") {
            let id = String(subject.dropFirst(4))
            return orgs.orgs[id] == nil ? "unknown org \"\(id)\" (not in orgs.toml)" : nil
        }
        if subject.hasPrefix("group:") {
            let id = String(subject.dropFirst(6))
            return orgs.groups[id] == nil ? "unknown group \"\(id)\" (not in orgs.toml; a group is named ORG/NAME)" : nil
        }
        if subject.hasPrefix("domain:") {
            var domain = String(subject.dropFirst(7)).lowercased()
            if domain.hasPrefix("*.") { domain.removeFirst(2) }
            return Address.isValidDomain(domain) ? nil : "\"\(subject)\" names an invalid domain"
        }
        if (try? Address(parsing: subject)) != nil { return nil }
        return "\"\(subject)\" is not a subject (use *, org:ID, group:ORG/NAME, domain:NAME, domain:*.NAME or local@domain)"
    }
}

import Foundation

struct PolicyCaseFile: Decodable {
    struct Case: Decodable {
        var name: String
        var from: String
        var to: String?
        var room: String?
        var via: String?
        var kind: String?
        var text: String?
        var subject: String?
        var attachments: [String]?
        var at: String?
        var authenticated: Bool?
        var expect: String
        var rule: String?
        var rules: [String]?
        var would: String?
        var would_rule: String?
        var actions: [String]?
    }

    var `case`: [Case]?
}

extension ConfigLoader {
    /// Where `bridged check`, a reload and `bridged policy test` without files find the policy's own cases.
    public static let policyCaseDirectory = "policy.d/tests"

    /// Every `*.toml` under `policy.d/tests`, in name order.
    mutating func policyCases(orgs: OrgDirectory, routes: RoutesConfig, policy: PolicyDocument) -> [PolicyCase] {
        self.tomlFiles(in: Self.policyCaseDirectory).flatMap { file, _, text in
            self.policyCases(text, file: file, orgs: orgs, routes: routes, policy: policy)
        }
    }

    /// Reads policy case files named on the command line (`bridged policy test FILE…`) against a loaded
    /// config.
    public static func policyCases(files: [URL], config: ConfigSnapshot) throws(ConfigErrors) -> [PolicyCase] {
        var loader = ConfigLoader(directory: config.directory)
        var cases: [PolicyCase] = []
        for url in files {
            guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
                loader.issues.append(ConfigIssue(file: url.path, message: "cannot read the file as UTF-8 text"))
                continue
            }
            loader.files[url.path] = text
            cases += loader.policyCases(text, file: url.path, orgs: config.orgs, routes: config.routes, policy: config.policy)
        }
        guard loader.issues.isEmpty else { throw ConfigErrors(loader.issues) }
        return cases
    }

    mutating func policyCases(_ text: String, file: String, orgs: OrgDirectory, routes: RoutesConfig, policy: PolicyDocument) -> [PolicyCase] {
        guard let decoded: PolicyCaseFile = self.decode(text, file: file, strict: true) else { return [] }
        let locator = TOMLKeyLocator(text: text)
        let ruleIDs = Set(policy.rules.map(\.id) + policy.barriers.map(\.id))
        var cases: [PolicyCase] = []
        for (index, raw) in (decoded.case ?? []).enumerated() {
            let key = "case[\(index)]"
            let before = self.issues.count
            func report(_ field: String, _ message: String) {
                let dotted = field.isEmpty ? key : "\(key).\(field)"
                self.issues.append(ConfigIssue(file: file, line: locator.line(for: dotted), key: dotted, message: message))
            }
            if (try? Address(parsing: raw.from)) == nil { report("from", "the sender is an address, not \"\(raw.from)\"") }
            switch (raw.to, raw.room) {
            case (let to?, nil):
                let problem = to.contains(":") ? Self.subjectProblem(to, orgs: orgs) : ((try? Address(parsing: to)) == nil ? "not an address" : nil)
                if let problem { report("to", problem) }
            case (nil, let room?):
                if let found = routes.rooms.first(where: { $0.id == room }) {
                    if let via = raw.via, !found.members.contains(where: { $0.adapter == via }) {
                        report("via", "adapter \(via) is not a member of room \(room)")
                    }
                } else {
                    report("room", "unknown room \"\(room)\" (not in routes.toml)")
                }
            default:
                report("", "a case has exactly one of to and room")
            }
            let kind = EnvelopeKind(rawValue: raw.kind ?? "message")
            if kind == nil { report("kind", "unknown kind \"\(raw.kind ?? "")\"") }
            let expect = PolicyCase.Expectation(rawValue: raw.expect)
            if expect == nil || expect == PolicyCase.Expectation.none { report("expect", "expect is allow, deny or quarantine, not \"\(raw.expect)\"") }
            let would = raw.would.map { PolicyCase.Expectation(rawValue: $0) }
            if let would, would == nil { report("would", "would is allow, deny, quarantine or none, not \"\(raw.would ?? "")\"") }
            var attachments: [PolicyContent.AttachmentFacts] = []
            for (attachmentIndex, spec) in (raw.attachments ?? []).enumerated() {
                if let facts = PolicyContent.AttachmentFacts(spec: spec) {
                    attachments.append(facts)
                } else {
                    report("attachments[\(attachmentIndex)]", "an attachment is TYPE/SUBTYPE:BYTES, as application/pdf:120000, not \"\(spec)\"")
                }
            }
            let at = raw.at.flatMap(PolicyContent.time)
            if let text = raw.at, at == nil {
                report("at", "a time is RFC 3339 with its offset, as \"2026-12-07T09:30:00+01:00\", not \"\(text)\"")
            }
            let rules = (raw.rules ?? []) + (raw.rule.map { [$0] } ?? [])
            for rule in rules + (raw.would_rule.map { [$0] } ?? []) + (raw.actions ?? [])
            where !rule.hasPrefix(ReservedRuleID.prefix) && !ruleIDs.contains(rule) {
                let field = raw.would_rule == rule ? "would_rule" : (raw.actions?.contains(rule) == true ? "actions" : "rule")
                report(field, "unknown rule \"\(rule)\" (not in policy.toml)")
            }
            guard self.issues.count == before, let kind, let expect else { continue }
            cases.append(
                PolicyCase(
                    file: file, line: locator.line(for: key), name: raw.name, from: raw.from, to: raw.to, room: raw.room,
                    via: raw.via, kind: kind, text: raw.text, subject: raw.subject, attachments: attachments, at: at,
                    authenticated: raw.authenticated ?? true, expect: expect,
                    rules: rules, would: would ?? (raw.would_rule == nil ? nil : .deny), wouldRules: raw.would_rule.map { [$0] } ?? [],
                    actions: raw.actions ?? []
                )
            )
        }
        return cases
    }
}

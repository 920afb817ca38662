import Foundation

extension ConfigLoader {
    // MARK: orgs.toml groups

    /// Reads every org's `[orgs.ORG.groups.NAME]`, with their members files, and checks that members belong
    /// to the org, that included groups exist and that no group includes itself, directly or not.
    mutating func groups(_ file: OrgsFile, directory: OrgDirectory) -> OrgDirectory {
        let name = "orgs.toml"
        var groups: [OrgGroup] = []
        var includeKeys: [String: String] = [:]
        for (orgID, org) in file.orgs.sorted(by: { $0.key < $1.key }) {
            for (groupName, raw) in (org.groups ?? [:]).sorted(by: { $0.key < $1.key }) {
                let key = "orgs.\(orgID).groups.\(groupName)"
                if !Self.isValidName(groupName) { self.report(name, key, "a group name uses \(Self.namePattern)") }
                var group = OrgGroup(org: orgID, name: groupName, membersFile: raw.members_file)
                for (index, line) in (raw.members ?? []).enumerated() {
                    switch Self.member(line, org: orgID, directory: directory) {
                    case .success(let member): group.members.append(member)
                    case .failure(let problem): self.report(name, "\(key).members[\(index)]", problem.message)
                    }
                }
                if let path = raw.members_file {
                    group.members += self.membersFile(path, org: orgID, key: "\(key).members_file", directory: directory)
                }
                for (index, included) in (raw.include ?? []).enumerated() {
                    let id = included.contains("/") ? included : "\(orgID)/\(included)"
                    group.includes.append(id)
                    includeKeys["\(group.id)>\(id)"] = "\(key).include[\(index)]"
                }
                if group.members.isEmpty, group.includes.isEmpty, raw.members_file == nil {
                    self.report(name, key, "a group needs members, an include or a members_file")
                }
                groups.append(group)
            }
        }
        let known = Set(groups.map(\.id))
        for group in groups {
            for included in group.includes where !known.contains(included) {
                self.report(name, includeKeys["\(group.id)>\(included)"] ?? "", "unknown group \"\(included)\" (not in orgs.toml)")
            }
        }
        for cycle in Self.cycles(groups) {
            let first = cycle[0]
            let next = cycle.count > 1 ? cycle[1] : cycle[0]
            self.report(
                name, includeKeys["\(first)>\(next)"] ?? "",
                "groups include each other in a cycle: \((cycle + [first]).joined(separator: " -> "))"
            )
        }
        return OrgDirectory(Array(directory.orgs.values), groups: groups)
    }

    struct MemberProblem: Error { var message: String }

    /// One member line, checked: a valid address or pattern, in one of the org's own domains.
    static func member(_ line: String, org: String, directory: OrgDirectory) -> Result<MemberPattern, MemberProblem> {
        guard let member = MemberPattern(line) else {
            return .failure(
                MemberProblem(message: "\"\(line)\" is neither an address nor a pattern (*@DOMAIN, *@*.DOMAIN, name*@DOMAIN)")
            )
        }
        // A subdomain pattern's addresses are in some subdomain: ask who owns one.
        let probe = member.matchesSubdomains ? "x.\(member.domain)" : member.domain
        let owner = directory.org(ofDomain: probe)
        guard owner == org else {
            let whose = owner.map { "org \($0)" } ?? "no org"
            return .failure(MemberProblem(message: "\(line) is in a domain of \(whose): a group's members belong to its org, \(org)"))
        }
        return .success(member)
    }

    /// A members file: one address or pattern per line; blank lines and lines starting with `#` are
    /// skipped. Read on every load, so a reload picks up a new export of the directory; its contents count
    /// in the policy revision.
    mutating func membersFile(_ path: String, org: String, key: String, directory: OrgDirectory) -> [MemberPattern] {
        var members: [MemberPattern] = []
        for (number, line) in self.listFile(path, what: "members file", from: "orgs.toml", key: key) ?? [] {
            switch Self.member(line, org: org, directory: directory) {
            case .success(let member): members.append(member)
            case .failure(let problem): self.issues.append(ConfigIssue(file: path, line: number, message: problem.message))
            }
        }
        return members
    }

    /// A list file named by a config key (a group's members, a rule's words): one entry per line, blank
    /// lines and lines starting with `#` skipped, with their line numbers. Read on every load; its text is
    /// kept in ``files`` so that it counts in the revisions. Nil, reported against `key`, when unreadable.
    mutating func listFile(_ path: String, what: String, from file: String, key: String) -> [(line: Int, text: String)]? {
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : self.directory.appendingPathComponent(path)
        guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
            self.report(file, key, "cannot read the \(what) \(url.path) as UTF-8 text")
            return nil
        }
        self.files[path] = text
        return text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, raw in
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            return line.isEmpty || line.hasPrefix("#") ? nil : (index + 1, line)
        }
    }

    /// Include cycles: one for every include that leads back to a group still being walked (a depth-first
    /// walk, linear in groups and includes), each starting at its smallest id.
    static func cycles(_ groups: [OrgGroup]) -> [[String]] {
        let includes = Dictionary(groups.map { ($0.id, $0.includes) }, uniquingKeysWith: { first, _ in first })
        var done: Set<String> = []
        var path: [String] = []
        var found: Set<[String]> = []
        func visit(_ id: String) {
            if let start = path.firstIndex(of: id) {
                let cycle = Array(path[start...])
                let pivot = cycle.indices.min { cycle[$0] < cycle[$1] } ?? 0
                found.insert(Array(cycle[pivot...] + cycle[..<pivot]))
                return
            }
            guard done.insert(id).inserted else { return }
            path.append(id)
            for next in includes[id] ?? [] { visit(next) }
            path.removeLast()
        }
        for id in includes.keys.sorted() { visit(id) }
        return found.sorted { $0.joined() < $1.joined() }
    }
}

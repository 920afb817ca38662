import Foundation

extension ConfigLoader {
    /// A rule's scope and conditions, compiled; every problem is reported against its key in policy.toml.
    mutating func conditions(_ raw: PolicyFile.Rule, key: String, action: PolicyDocument.Rule.Action?, routes: RoutesConfig) -> RuleConditions {
        let name = "policy.toml"
        var conditions = RuleConditions()
        for (index, text) in (raw.where?.values ?? []).enumerated() where text != "any" {
            let itemKey = raw.where.map { $0.values.count == 1 } == true ? "\(key).where" : "\(key).where[\(index)]"
            guard let place = RuleConditions.PlaceSelector(text) else {
                self.report(name, itemKey, "where is direct, room, room:ID or any, not \"\(text)\"")
                continue
            }
            if case .room(let id) = place, !routes.rooms.contains(where: { $0.id == id }) {
                self.report(name, itemKey, "unknown room \"\(id)\" (not in routes.toml)")
            }
            conditions.places.append(place)
        }
        var terms = raw.words ?? []
        if let path = raw.words_file {
            terms += self.wordsFile(path, key: "\(key).words_file")
            conditions.wordsFile = path
        }
        if raw.words != nil || raw.words_file != nil {
            conditions.words = self.termMatcher(terms, key: raw.words_file != nil && raw.words == nil ? "\(key).words_file" : "\(key).words")
        }
        if let words = raw.subject_words { conditions.subjectWords = self.termMatcher(words, key: "\(key).subject_words") }
        conditions.patterns = self.patterns(raw.patterns, key: "\(key).patterns")
        conditions.subjectPatterns = self.patterns(raw.subject_patterns, key: "\(key).subject_patterns")
        for (index, text) in (raw.detectors ?? []).enumerated() {
            if let detector = ContentDetector(rawValue: text) {
                conditions.detectors.append(detector)
            } else {
                let known = ContentDetector.allCases.map(\.rawValue).joined(separator: ", ")
                self.report(name, "\(key).detectors[\(index)]", "unknown detector \"\(text)\" (known: \(known))")
            }
        }
        for (index, type) in (raw.attachment_types ?? []).enumerated() {
            let parts = type.split(separator: "/", omittingEmptySubsequences: false)
            guard type == "*" || (parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && (parts[0] != "*" || parts[1] == "*")) else {
                self.report(name, "\(key).attachment_types[\(index)]", "a media type is TYPE/SUBTYPE, TYPE/* or */*, not \"\(type)\"")
                continue
            }
            conditions.attachmentTypes.append(type.lowercased())
        }
        if let limit = raw.attachment_larger_than {
            if limit < 0 { self.report(name, "\(key).attachment_larger_than", "a size in bytes is zero or more") }
            conditions.attachmentLargerThan = limit
        }
        conditions.authenticated = raw.authenticated
        if raw.authenticated == false, action == .allow, raw.allow_unauthenticated != true {
            self.report(
                name, "\(key).authenticated",
                "an allow rule for unauthenticated senders only can never decide without allow_unauthenticated = true"
            )
        }
        for (index, text) in (raw.time?.values ?? []).enumerated() {
            do {
                conditions.times.append(try TimeWindow(text))
            } catch {
                self.report(name, raw.time?.values.count == 1 ? "\(key).time" : "\(key).time[\(index)]", error.message)
            }
        }
        return conditions
    }

    mutating func termMatcher(_ terms: [String], key: String) -> TermMatcher? {
        guard !terms.isEmpty else {
            self.report("policy.toml", key, "an empty list of words matches nothing: remove the key or name a word")
            return nil
        }
        do {
            return try TermMatcher(terms: terms)
        } catch {
            self.report("policy.toml", key, error.message)
            return nil
        }
    }

    mutating func patterns(_ sources: [String]?, key: String) -> [SafePattern] {
        guard let sources else { return [] }
        if sources.isEmpty { self.report("policy.toml", key, "an empty list of patterns matches nothing: remove the key or name a pattern") }
        var compiled: [SafePattern] = []
        for (index, source) in sources.enumerated() {
            do {
                compiled.append(try SafePattern(source))
            } catch {
                self.report("policy.toml", "\(key)[\(index)]", "pattern \"\(source)\": \(error.message)")
            }
        }
        return compiled
    }

    /// A watch list file: one word or phrase per line; blank lines and lines starting with `#` are skipped.
    /// Read on every load, so a reload picks up a new list; its contents count in the policy revision.
    mutating func wordsFile(_ path: String, key: String) -> [String] {
        guard let lines = self.listFile(path, what: "words file", from: "policy.toml", key: key) else { return [] }
        if lines.isEmpty { self.report("policy.toml", key, "the words file \(path) lists no words") }
        return lines.map(\.text)
    }
}

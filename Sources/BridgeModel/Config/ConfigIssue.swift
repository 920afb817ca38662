/// One problem found in the config directory, named the way an operator looks for it: the file, the line
/// where the parser knows it, and the dotted key.
public struct ConfigIssue: Hashable, Sendable, CustomStringConvertible {
    /// Path relative to the config directory, e.g. `adapters.d/globex-chat.toml`.
    public var file: String
    public var line: Int?
    /// Dotted key, e.g. `room[0].member[1].adapter`; empty for whole-file problems.
    public var key: String
    public var message: String

    public init(file: String, line: Int? = nil, key: String = "", message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        var text = self.file
        if let line = self.line { text += ":\(line)" }
        text += ": "
        if !self.key.isEmpty { text += "\(self.key): " }
        return text + self.message
    }
}

/// Every problem found while loading a config directory. Loading never stops at the first one.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var issues: [ConfigIssue]

    public init(_ issues: [ConfigIssue]) { self.issues = issues }

    public var description: String { self.issues.map(\.description).joined(separator: "\n") }
}

/// One complete SMTP reply (RFC 5321 §4.2): a three-digit code and one or more text lines.
///
///     S: 250-mx.acme.test Hello gw.acme.test [127.0.0.1]
///     S: 250-SIZE 1000000
///     S: 250 STARTTLS
///
/// becomes `SMTPReply(code: 250, lines: ["mx.acme.test Hello ...", "SIZE 1000000", "STARTTLS"])`.
/// The text is the server's, kept for operators; it never contains anything the client sent as a secret
/// (see ``SMTPClientStateMachine``, which scrubs authentication replies).
public struct SMTPReply: Hashable, Sendable, CustomStringConvertible {
    /// The reply code, 200...599.
    public let code: Int
    /// The text of each line, without the code, the separator and the CRLF. Never empty.
    public let lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines.isEmpty ? [""] : lines
    }

    /// 2yz: the command succeeded.
    public var isPositiveCompletion: Bool { (200..<300).contains(self.code) }
    /// 3yz: the server waits for more (354 after DATA, 334 during AUTH).
    public var isPositiveIntermediate: Bool { (300..<400).contains(self.code) }
    /// 4yz: try again later.
    public var isTransientNegative: Bool { (400..<500).contains(self.code) }
    /// 5yz: do not repeat the same request.
    public var isPermanentNegative: Bool { (500..<600).contains(self.code) }

    /// The RFC 3463 enhanced status code at the start of the first line (`5.1.1`), when the server sent one.
    public var enhancedStatus: String? {
        guard let first = self.lines.first else { return nil }
        let token = first.prefix { $0 != " " }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let head = parts[0].first, "245".contains(head), parts[0].count == 1,
            parts[1...].allSatisfy({ (1...3).contains($0.count) && $0.allSatisfy(\.isASCIIDigit) })
        else { return nil }
        return String(token)
    }

    /// All lines joined by a space, for logs and error texts.
    public var text: String { self.lines.joined(separator: " ") }

    public var description: String { self.text.isEmpty ? "\(self.code)" : "\(self.code) \(self.text)" }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { self.isASCII && self.isNumber }
}

/// The service extensions a server lists in its EHLO reply (RFC 5321 §4.1.1.1): every line after the
/// first is `keyword [params]`, keywords case-insensitive.
///
///     250-mx.acme.test Hello gw.acme.test [127.0.0.1]
///     250-SIZE 52428800
///     250-8BITMIME
///     250-AUTH PLAIN LOGIN
///     250-STARTTLS
///     250 SMTPUTF8
public struct SMTPCapabilities: Hashable, Sendable {
    /// Upper-cased keyword → its parameters as sent.
    public let extensions: [String: [String]]

    public init(ehloReply reply: SMTPReply) {
        var extensions: [String: [String]] = [:]
        for line in reply.lines.dropFirst() {
            let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard let keyword = words.first else { continue }
            extensions[keyword.uppercased()] = Array(words.dropFirst())
        }
        self.extensions = extensions
    }

    public func supports(_ keyword: String) -> Bool { self.extensions[keyword.uppercased()] != nil }

    /// RFC 3207.
    public var startTLS: Bool { self.supports("STARTTLS") }
    /// RFC 6152.
    public var eightBitMIME: Bool { self.supports("8BITMIME") }
    /// RFC 6531.
    public var smtpUTF8: Bool { self.supports("SMTPUTF8") }

    /// RFC 1870: the declared maximum message size; nil when SIZE is absent or 0 (no fixed limit).
    public var maximumSize: Int? {
        guard let parameters = self.extensions["SIZE"], let first = parameters.first,
            let value = Int(first), value > 0
        else { return nil }
        return value
    }

    /// Whether SIZE is advertised at all (then `SIZE=n` may be given with MAIL).
    public var size: Bool { self.supports("SIZE") }

    /// RFC 4954: the offered SASL mechanisms, upper-cased.
    public var authMechanisms: Set<String> {
        Set((self.extensions["AUTH"] ?? []).map { $0.uppercased() })
    }
}

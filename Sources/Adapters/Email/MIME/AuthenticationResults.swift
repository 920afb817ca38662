/// One RFC 8601 `Authentication-Results` header field:
///
///     Authentication-Results: mx.acme.test 1; dkim=pass (good sig) header.d=partner.test;
///         spf=pass smtp.mailfrom=bob@partner.test; dmarc=pass header.from=partner.test
public struct AuthenticationResults: Hashable, Sendable {
    /// The authserv-id, lower-cased: who claims these results.
    public var authservID: String
    public var results: [AuthenticationResult]

    public init(authservID: String, results: [AuthenticationResult]) {
        self.authservID = authservID
        self.results = results
    }

    /// Parses a field value; nil if it has no authserv-id. Comments are dropped, quoted strings unquoted, a
    /// method version (`dkim/1`) dropped, `none` gives no results, resinfos without `method=result` are skipped.
    public static func parse(_ text: String) -> AuthenticationResults? {
        var segments: [[Token]] = [[]]
        for token in tokenize(Array(text.utf8)) {
            if token == .semicolon {
                segments.append([])
            } else {
                segments[segments.count - 1].append(token)
            }
        }
        guard let first = segments.first?.first, let id = first.text, !id.isEmpty else { return nil }
        var results: [AuthenticationResult] = []
        for segment in segments.dropFirst() {
            guard segment.count >= 3, let methodWord = segment[0].text, segment[1] == .equals,
                let result = segment[2].text
            else { continue }
            let method = String(methodWord.split(separator: "/").first ?? "").lowercased()
            var entry = AuthenticationResult(method: method, result: result.lowercased(), reason: nil, properties: [:])
            var index = 3
            while index + 2 < segment.count {
                guard let key = segment[index].text, segment[index + 1] == .equals, let value = segment[index + 2].text
                else {
                    index += 1
                    continue
                }
                let lowered = key.lowercased()
                if lowered == "reason" {
                    entry.reason = value
                } else if entry.properties[lowered] == nil {
                    entry.properties[lowered] = value
                }
                index += 3
            }
            results.append(entry)
        }
        return AuthenticationResults(authservID: id.lowercased(), results: results)
    }

    enum Token: Equatable {
        case word(String)
        case quoted(String)
        case equals
        case semicolon

        var text: String? {
            switch self {
            case .word(let text), .quoted(let text): text
            default: nil
            }
        }
    }

    static func tokenize(_ bytes: [UInt8]) -> [Token] {
        var tokens: [Token] = []
        var index = 0
        // Each round consumes at least one byte.
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case 0x20, 0x09, 0x0D, 0x0A:
                index += 1
            case UInt8(ascii: ";"):
                tokens.append(.semicolon)
                index += 1
            case UInt8(ascii: "="):
                tokens.append(.equals)
                index += 1
            case UInt8(ascii: "("):
                var depth = 0
                while index < bytes.count {
                    if bytes[index] == UInt8(ascii: "\\") {
                        index += 2
                        continue
                    }
                    if bytes[index] == UInt8(ascii: "(") { depth += 1 }
                    if bytes[index] == UInt8(ascii: ")") { depth -= 1 }
                    index += 1
                    if depth == 0 { break }
                }
            case UInt8(ascii: "\""):
                var content: [UInt8] = []
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count { index += 1 }
                    content.append(bytes[index])
                    index += 1
                }
                index += 1
                tokens.append(.quoted(String(decoding: content, as: UTF8.self)))
            default:
                let start = index
                while index < bytes.count, !" \t\r\n;=(\"".utf8.contains(bytes[index]) { index += 1 }
                tokens.append(.word(String(decoding: bytes[start..<index], as: UTF8.self)))
            }
        }
        return tokens
    }
}

/// One `method=result` entry of an ``AuthenticationResults`` field.
public struct AuthenticationResult: Hashable, Sendable {
    /// Lower-cased method without version: `dkim`, `spf`, `dmarc`, `arc`, ...
    public var method: String
    /// Lower-cased result: `pass`, `fail`, `softfail`, `none`, `temperror`, ...
    public var result: String
    public var reason: String?
    /// Properties by lower-cased `ptype.property` (`header.d`, `header.from`, `smtp.mailfrom`), values as written.
    public var properties: [String: String]

    public init(method: String, result: String, reason: String?, properties: [String: String]) {
        self.method = method
        self.result = result
        self.reason = reason
        self.properties = properties
    }
}

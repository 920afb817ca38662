/// A structured MIME header value with parameters: `Content-Type` (RFC 2045 §5.1) or
/// `Content-Disposition` (RFC 2183), with RFC 2231 parameter continuations, charsets and languages decoded.
public struct MIMEHeaderValue: Hashable, Sendable {
    /// The value before the parameters, lower-cased, blanks removed: `text/plain`, `attachment`.
    public var value: String
    /// Parameters by lower-cased name, values fully decoded.
    public var parameters: [String: String]

    public init(value: String, parameters: [String: String] = [:]) {
        self.value = value
        self.parameters = parameters
    }

    public subscript(parameter name: String) -> String? { self.parameters[name.lowercased()] }

    /// For a Content-Type: the part before `/` (`text`), or the whole value.
    public var mediaType: String { String(self.value.split(separator: "/", maxSplits: 1).first ?? "") }
    /// For a Content-Type: the part after `/` (`plain`), or empty.
    public var mediaSubtype: String {
        let pieces = self.value.split(separator: "/", maxSplits: 1)
        return pieces.count == 2 ? String(pieces[1]) : ""
    }

    /// Parses a header value. Tolerates comments, blanks around `=`, unquoted values with blanks in them, and
    /// RFC 2047 encoded words inside `name` and `filename` (not standard, but what Outlook and Gmail send).
    public static func parse(_ text: String, warnings: inout [String]) -> MIMEHeaderValue {
        MIMEParameterParser.parse(text, warnings: &warnings)
    }
}

public import BridgeModel
import Foundation
public import NIOCore

/// One SMTP command line, built only through the factories below.
///
/// Every argument is checked when the command is built, and the whole line once more: a command that
/// contains CR, LF or NUL cannot exist, so no argument (a HELO name, an address, a SASL response) can
/// end the line early and smuggle a second command. Lines are written with CRLF (RFC 5321 §2.3.8).
public struct SMTPCommand: Hashable, Sendable, CustomStringConvertible {
    /// The line without its CRLF.
    let line: String
    /// Authentication data: never printed.
    let isSensitive: Bool

    private init(_ line: String, sensitive: Bool = false) throws(SMTPError) {
        try Self.check(line)
        guard line.utf8.count <= 998 else { throw SMTPError(.invalidArgument, "a command line would exceed 998 bytes") }
        self.line = line
        self.isSensitive = sensitive
    }

    private static func check(_ argument: String) throws(SMTPError) {
        if argument.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }) {
            throw SMTPError(.invalidArgument, "a command argument contains CR, LF or NUL")
        }
    }

    /// `EHLO name` (RFC 5321 §4.1.1.1). The name is a domain or an address literal such as `[127.0.0.1]`.
    public static func ehlo(_ name: String) throws(SMTPError) -> SMTPCommand {
        try self.check(name)
        let allowed = name.utf8.allSatisfy { byte in
            (0x21...0x7E).contains(byte) && byte != UInt8(ascii: "<") && byte != UInt8(ascii: ">")
        }
        guard !name.isEmpty, allowed, name.utf8.count <= 255 else {
            throw SMTPError(.invalidArgument, "the HELO name must be a domain or an address literal")
        }
        return try SMTPCommand("EHLO \(name)")
    }

    /// `STARTTLS` (RFC 3207).
    public static let startTLS = Self(verbatim: "STARTTLS")
    /// `DATA`: the server answers 354, then the dot-stuffed message follows.
    public static let data = Self(verbatim: "DATA")
    /// `RSET`: abandons the transaction.
    public static let reset = Self(verbatim: "RSET")
    /// `QUIT`.
    public static let quit = Self(verbatim: "QUIT")
    /// `NOOP`.
    public static let noop = Self(verbatim: "NOOP")

    private init(verbatim line: StaticString) {
        self.line = line.description
        self.isSensitive = false
    }

    /// `AUTH PLAIN <base64(NUL user NUL password)>` with the initial response (RFC 4954 §4, RFC 4616).
    public static func authPlain(_ credentials: SMTPCredentials) throws(SMTPError) -> SMTPCommand {
        let user = Array(credentials.username.utf8)
        let password = credentials.password.bytes
        guard !user.contains(0), !password.contains(0) else {
            throw SMTPError(.invalidArgument, "a user name or password contains NUL, which SASL PLAIN cannot carry")
        }
        return try SMTPCommand("AUTH PLAIN " + Self.base64([0] + user + [0] + password), sensitive: true)
    }

    /// `AUTH LOGIN`; the server then prompts with 334 for the user name and the password.
    public static let authLogin = Self(verbatim: "AUTH LOGIN")

    /// A base64 line answering a 334 challenge (RFC 4954 §4).
    public static func authResponse(_ bytes: [UInt8]) throws(SMTPError) -> SMTPCommand {
        try SMTPCommand(Self.base64(bytes), sensitive: true)
    }

    /// `MAIL FROM:<address> [parameters]` (RFC 5321 §4.1.1.2); nil is the null reverse-path `<>`.
    public static func mail(from address: Address?, parameters: [String] = []) throws(SMTPError) -> SMTPCommand {
        var line = "MAIL FROM:" + (address.map(Self.path) ?? "<>")
        for parameter in parameters {
            try self.check(parameter)
            guard !parameter.isEmpty, !parameter.contains(" ") else {
                throw SMTPError(.invalidArgument, "a MAIL parameter is empty or contains a space")
            }
            line += " " + parameter
        }
        return try SMTPCommand(line)
    }

    /// `RCPT TO:<address>` (RFC 5321 §4.1.1.3).
    public static func recipient(_ address: Address) throws(SMTPError) -> SMTPCommand {
        try SMTPCommand("RCPT TO:" + Self.path(address))
    }

    /// `<local@domain>`, quoting the local part when it is not a dot-atom (RFC 5321 §4.1.2).
    static func path(_ address: Address) -> String {
        "<\(self.localPart(address.local))@\(address.domain)>"
    }

    static func localPart(_ local: String) -> String {
        let atoms = local.split(separator: ".", omittingEmptySubsequences: false)
        let isDotAtom = atoms.allSatisfy { atom in
            !atom.isEmpty && atom.unicodeScalars.allSatisfy { $0.value >= 0x80 || Self.atext.contains($0) }
        }
        if isDotAtom { return local }
        // Address already refuses `"`, `\` and controls, so the quoted form needs no escapes.
        return "\"\(local)\""
    }

    private static let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~".unicodeScalars)

    /// RFC 4648 base64, as SASL uses it.
    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    /// Appends the line and its CRLF.
    public func write(into buffer: inout ByteBuffer) {
        buffer.writeString(self.line)
        buffer.writeStaticString("\r\n")
    }

    /// The line, with authentication data replaced by `<redacted>`.
    public var description: String {
        guard self.isSensitive else { return self.line }
        return self.line.hasPrefix("AUTH ") ? "AUTH \(self.line.split(separator: " ")[1]) <redacted>" : "<redacted>"
    }
}

/// A user name and password for SMTP AUTH. Prints without the password.
public struct SMTPCredentials: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public var username: String
    public var password: Secret

    public init(username: String, password: Secret) {
        self.username = username
        self.password = password
    }

    public var description: String { "\(self.username) (password <redacted>)" }
    public var debugDescription: String { self.description }
}

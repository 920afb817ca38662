public import BridgeModel
import Foundation
public import NIOCore

/// A command ready for the wire. When it carries synchronizing literals it is split after each `{n}\r\n`:
/// the client sends `parts[0]`, and each later part only after the server's `+` continuation (RFC 3501 §7.5).
public struct IMAPEncodedCommand: Sendable {
    public var parts: [ByteBuffer]
}

/// Encodes commands: arguments become atoms where they can, quoted strings for other 7-bit text, and
/// literals for 8-bit text. CR, LF and NUL are refused in every argument (no command injection through a
/// mailbox name, user name or password). Errors never contain the argument.
public struct IMAPCommandEncoder: Sendable {
    /// How literals are sent.
    public enum LiteralMode: Hashable, Sendable {
        /// `{n}`: wait for `+` before sending the bytes.
        case synchronizing
        /// `{n+}` (RFC 7888 LITERAL+).
        case nonSynchronizing
        /// `{n+}` up to 4096 bytes, synchronizing above (RFC 7888 LITERAL-).
        case nonSynchronizingUpTo4096
    }

    public var literalMode: LiteralMode

    public init(literalMode: LiteralMode = .synchronizing) {
        self.literalMode = literalMode
    }

    /// - Parameter saslInitialResponse: for `AUTHENTICATE PLAIN`, send the response inline (RFC 4959 SASL-IR).
    public func encode(_ command: IMAPCommand, tag: String, saslInitialResponse: Bool = false) throws(IMAPError)
        -> IMAPEncodedCommand
    {
        guard !tag.isEmpty, tag.utf8.allSatisfy({ Writer.isSendableAtomChar($0) && $0 != UInt8(ascii: "+") }) else {
            throw IMAPError(.invalidArgument, "a tag must be a non-empty atom without '+'")
        }
        var writer = Writer(literalMode: self.literalMode)
        writer.raw(tag)
        writer.raw(" ")
        switch command {
        case .capability: writer.raw("CAPABILITY")
        case .noop: writer.raw("NOOP")
        case .logout: writer.raw("LOGOUT")
        case .startTLS: writer.raw("STARTTLS")
        case .idle: writer.raw("IDLE")
        case .login(let username, let password):
            writer.raw("LOGIN ")
            try writer.string(Array(username.utf8), what: "user name")
            writer.raw(" ")
            try writer.string(password.bytes, what: "password")
        case .authenticatePlain(let username, let password):
            writer.raw("AUTHENTICATE PLAIN")
            if saslInitialResponse {
                writer.raw(" ")
                writer.bytes(try Self.saslPlain(username: username, password: password))
            }
        case .select(let mailbox):
            writer.raw("SELECT ")
            try writer.mailbox(mailbox)
        case .create(let mailbox):
            writer.raw("CREATE ")
            try writer.mailbox(mailbox)
        case .uidSearch(let keys):
            guard !keys.isEmpty else { throw IMAPError(.invalidArgument, "a search needs at least one key") }
            writer.raw("UID SEARCH")
            for key in keys {
                writer.raw(" ")
                try writer.searchKey(key)
            }
        case .uidFetch(let set, let items):
            guard !items.isEmpty else { throw IMAPError(.invalidArgument, "a fetch needs at least one item") }
            let uids = try Self.checked(set)
            writer.raw("UID FETCH \(uids) (")
            writer.raw(items.map(Self.name).joined(separator: " "))
            writer.raw(")")
        case .uidStore(let set, let add, let flags):
            let uids = try Self.checked(set)
            writer.raw("UID STORE \(uids) \(add ? "+" : "-")FLAGS.SILENT (")
            for (index, flag) in flags.enumerated() {
                if index > 0 { writer.raw(" ") }
                try writer.flag(flag)
            }
            writer.raw(")")
        case .uidCopy(let set, let mailbox):
            let uids = try Self.checked(set)
            writer.raw("UID COPY \(uids) ")
            try writer.mailbox(mailbox)
        case .uidMove(let set, let mailbox):
            let uids = try Self.checked(set)
            writer.raw("UID MOVE \(uids) ")
            try writer.mailbox(mailbox)
        case .uidExpunge(let set):
            let uids = try Self.checked(set)
            writer.raw("UID EXPUNGE \(uids)")
        }
        writer.raw("\r\n")
        return writer.finish()
    }

    /// The base64 SASL PLAIN response `\0user\0password` (RFC 4616), CRLF not included.
    public static func saslPlain(username: String, password: Secret) throws(IMAPError) -> [UInt8] {
        let user = Array(username.utf8)
        guard !user.contains(0), !password.bytes.contains(0) else {
            throw IMAPError(.invalidArgument, "a user name or password contains NUL")
        }
        return Array(Data([0] + user + [0] + password.bytes).base64EncodedData())
    }

    private static func checked(_ set: IMAPUIDSet) throws(IMAPError) -> String {
        guard !set.ranges.isEmpty, set.ranges.allSatisfy({ $0.lower > 0 && ($0.upper ?? 1) > 0 }) else {
            throw IMAPError(.invalidArgument, "a UID set must be non-empty and UIDs start at 1")
        }
        return set.description
    }

    private static func name(_ item: IMAPFetchItem) -> String {
        switch item {
        case .uid: "UID"
        case .rfc822Size: "RFC822.SIZE"
        case .flags: "FLAGS"
        case .bodyPeek: "BODY.PEEK[]"
        }
    }

    /// Accumulates the command, splitting it after each synchronizing literal.
    private struct Writer {
        let literalMode: LiteralMode
        var parts: [ByteBuffer] = []
        var current = ByteBuffer()

        mutating func raw(_ text: String) { self.current.writeString(text) }
        mutating func bytes(_ bytes: [UInt8]) { self.current.writeBytes(bytes) }

        /// An astring: atom, quoted string or literal, whichever fits (RFC 3501 §4).
        mutating func string(_ bytes: [UInt8], what: String) throws(IMAPError) {
            guard !bytes.contains(where: { $0 == 0 || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") }) else {
                throw IMAPError(.invalidArgument, "a \(what) contains CR, LF or NUL")
            }
            if !bytes.isEmpty, bytes.allSatisfy(Self.isSendableAtomChar), bytes.uppercased != Array("NIL".utf8) {
                self.current.writeBytes(bytes)
            } else if bytes.allSatisfy({ $0 < 0x80 }) {
                self.current.writeInteger(UInt8(ascii: "\""))
                for byte in bytes {
                    if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                        self.current.writeInteger(UInt8(ascii: "\\"))
                    }
                    self.current.writeInteger(byte)
                }
                self.current.writeInteger(UInt8(ascii: "\""))
            } else {
                let synchronizing: Bool
                switch self.literalMode {
                case .synchronizing: synchronizing = true
                case .nonSynchronizing: synchronizing = false
                case .nonSynchronizingUpTo4096: synchronizing = bytes.count > 4096
                }
                self.current.writeString(synchronizing ? "{\(bytes.count)}\r\n" : "{\(bytes.count)+}\r\n")
                if synchronizing {
                    self.parts.append(self.current)
                    self.current = ByteBuffer()
                }
                self.current.writeBytes(bytes)
            }
        }

        /// ATOM-CHAR is 7-bit (RFC 3501 §9); 8-bit text goes as a literal.
        static func isSendableAtomChar(_ byte: UInt8) -> Bool { byte < 0x80 && IMAPFrameReader.isAtomChar(byte) }

        mutating func mailbox(_ name: String) throws(IMAPError) {
            guard !name.isEmpty else { throw IMAPError(.invalidArgument, "an empty mailbox name") }
            // Modified UTF-7 would encode them harmlessly, but no real mailbox name contains them.
            guard !name.utf8.contains(where: { $0 == 0 || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") }) else {
                throw IMAPError(.invalidArgument, "a mailbox name contains CR, LF or NUL")
            }
            try self.string(Array(IMAPModifiedUTF7.encode(name).utf8), what: "mailbox name")
        }

        /// `\Deleted` or a keyword atom such as `$Bridged`.
        mutating func flag(_ flag: String) throws(IMAPError) {
            let bytes = Array(flag.utf8)
            let atom = bytes.first == UInt8(ascii: "\\") ? bytes.dropFirst() : bytes[...]
            guard !atom.isEmpty, atom.allSatisfy(Self.isSendableAtomChar) else {
                throw IMAPError(.invalidArgument, "a flag must be an atom, optionally after a backslash")
            }
            self.current.writeBytes(bytes)
        }

        mutating func searchKey(_ key: IMAPSearchKey) throws(IMAPError) {
            switch key {
            case .all: self.raw("ALL")
            case .undeleted: self.raw("UNDELETED")
            case .uid(let set):
                let uids = try IMAPCommandEncoder.checked(set)
                self.raw("UID \(uids)")
            case .keyword(let keyword):
                self.raw("KEYWORD ")
                try self.flag(keyword)
            case .notKeyword(let keyword):
                self.raw("NOT KEYWORD ")
                try self.flag(keyword)
            }
        }

        mutating func finish() -> IMAPEncodedCommand {
            self.parts.append(self.current)
            return IMAPEncodedCommand(parts: self.parts)
        }
    }
}

extension Array where Element == UInt8 {
    fileprivate var uppercased: [UInt8] { self.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 } }
}

import NIOCore

/// Parses one framed response (RFC 3501 §7; the parts a mail follower needs).
///
///     * OK [CAPABILITY IMAP4rev1 SASL-IR IDLE STARTTLS AUTH=PLAIN] Dovecot ready.
///     * 3 EXISTS
///     * OK [UIDVALIDITY 1700000000] UIDs valid
///     * SEARCH 7 9
///     * 1 FETCH (UID 7 RFC822.SIZE 11 FLAGS (\Seen) BODY[] {11}
///     A4 NO [ALREADYEXISTS] Mailbox already exists
///     + idling
///
/// Anything the client does not use (other untagged responses, unknown FETCH items) is skipped, not refused.
public enum IMAPResponseParser {
    public static func parse(_ frame: IMAPResponseFrame) throws(IMAPError) -> IMAPResponse {
        var reader = IMAPFrameReader(frame)
        let response: IMAPResponse
        if reader.skip(UInt8(ascii: "+")) {
            _ = reader.skip(UInt8(ascii: " "))
            response = .continuation(reader.readText())
        } else if reader.skip(UInt8(ascii: "*")) {
            try reader.expect(UInt8(ascii: " "))
            response = .untagged(try self.untagged(&reader))
        } else {
            let tag = try reader.readTag()
            try reader.expect(UInt8(ascii: " "))
            let status = try self.status(&reader)
            guard status == .ok || status == .no || status == .bad else {
                throw reader.malformed("a tagged \(status.rawValue)")
            }
            response = .tagged(IMAPTaggedResponse(tag: tag, status: status, text: try self.responseText(&reader)))
        }
        return response
    }

    private static func status(_ reader: inout IMAPFrameReader) throws(IMAPError) -> IMAPStatus {
        let name = try reader.readAtom().uppercased()
        guard let status = IMAPStatus(rawValue: name) else { throw reader.malformed("unknown status") }
        return status
    }

    private static func untagged(_ reader: inout IMAPFrameReader) throws(IMAPError) -> IMAPUntaggedResponse {
        if let first = reader.peek(), first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") {
            let number = try reader.readNumber()
            try reader.expect(UInt8(ascii: " "))
            switch try reader.readAtom().uppercased() {
            case "EXISTS": return .exists(number)
            case "RECENT": return .recent(number)
            case "EXPUNGE": return .expunge(number)
            case "FETCH":
                try reader.expect(UInt8(ascii: " "))
                return .fetch(sequence: number, try self.fetchAttributes(&reader))
            case let name: return .other(name)
            }
        }
        let name = try reader.readAtom().uppercased()
        switch name {
        case "OK", "NO", "BAD", "PREAUTH", "BYE":
            return .status(IMAPStatus(rawValue: name)!, try self.responseText(&reader))
        case "CAPABILITY":
            return .capability(try self.atoms(&reader, until: nil))
        case "FLAGS":
            try reader.expect(UInt8(ascii: " "))
            return .flags(try reader.readFlagList())
        case "SEARCH":
            var uids: [UInt32] = []
            while reader.skip(UInt8(ascii: " ")) {
                // RFC 7162 may append "(MODSEQ n)"; only numbers are results.
                guard reader.peek() != UInt8(ascii: "(") else { break }
                uids.append(try reader.readNumber())
            }
            return .search(uids)
        default:
            return .other(name)
        }
    }

    /// `SP atom *(SP atom)` up to `terminator` (or the line end).
    private static func atoms(_ reader: inout IMAPFrameReader, until terminator: UInt8?) throws(IMAPError) -> [String] {
        var atoms: [String] = []
        while reader.skip(UInt8(ascii: " ")) {
            if let terminator, reader.peek() == terminator { break }
            atoms.append(try reader.readAtom())
            guard atoms.count <= 1_000 else { throw reader.malformed("too many capabilities") }
        }
        return atoms
    }

    /// resp-text: `[SP] ["[" resp-text-code "]" [SP]] text`. Servers vary on the spaces, so both are optional.
    private static func responseText(_ reader: inout IMAPFrameReader) throws(IMAPError) -> IMAPResponseText {
        _ = reader.skip(UInt8(ascii: " "))
        var code: IMAPResponseCode?
        if reader.skip(UInt8(ascii: "[")) {
            code = try self.responseCode(&reader)
            try reader.expect(UInt8(ascii: "]"))
            _ = reader.skip(UInt8(ascii: " "))
        }
        return IMAPResponseText(code: code, text: reader.readText())
    }

    private static func responseCode(_ reader: inout IMAPFrameReader) throws(IMAPError) -> IMAPResponseCode {
        let name = try reader.readAtom().uppercased()
        switch name {
        case "CAPABILITY":
            return .capability(try self.atoms(&reader, until: UInt8(ascii: "]")))
        case "UIDVALIDITY":
            try reader.expect(UInt8(ascii: " "))
            return .uidValidity(try reader.readNumber())
        case "UIDNEXT":
            try reader.expect(UInt8(ascii: " "))
            return .uidNext(try reader.readNumber())
        case "ALREADYEXISTS": return .alreadyExists
        case "TRYCREATE": return .tryCreate
        case "AUTHENTICATIONFAILED": return .authenticationFailed
        default:
            if reader.skip(UInt8(ascii: " ")) { _ = try reader.readUntil(UInt8(ascii: "]")) }
            return .other(name)
        }
    }

    /// `(` att SP value *(SP att SP value) `)`, in any order (RFC 3501 §7.4.2).
    private static func fetchAttributes(_ reader: inout IMAPFrameReader) throws(IMAPError) -> IMAPFetchAttributes {
        var attributes = IMAPFetchAttributes()
        try reader.expect(UInt8(ascii: "("))
        var first = true
        while !reader.skip(UInt8(ascii: ")")) {
            if !first { try reader.expect(UInt8(ascii: " ")) }
            first = false
            let name = try reader.readItemName()
            try reader.expect(UInt8(ascii: " "))
            switch name {
            case "UID":
                attributes.uid = try reader.readNumber()
            case "RFC822.SIZE":
                let size = try reader.readNumber64()
                guard size <= UInt64(Int.max) else { throw reader.malformed("size out of range") }
                attributes.rfc822Size = Int(size)
            case "FLAGS":
                attributes.flags = try reader.readFlagList()
            case "BODY[]", "BINARY[]":
                attributes.body = try reader.readNString()
            default:
                try reader.skipValue()
            }
        }
        return attributes
    }
}

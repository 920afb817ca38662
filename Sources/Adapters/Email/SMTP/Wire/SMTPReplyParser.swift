public import NIOCore

/// Frames and parses SMTP replies (RFC 5321 §4.2) from a byte stream, with no channel.
///
///     Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF
///
/// Lines end in CRLF only: a bare LF, or a CR not followed by LF, is a protocol error (the reply-side
/// cousin of SMTP smuggling), never a line break. A line longer than ``Limits/maxLineLength`` or a reply
/// with more than ``Limits/maxLines`` lines is refused, so a hostile server cannot grow the buffer.
/// Only complete lines are consumed; a partial line stays in the buffer until its CRLF arrives.
public struct SMTPReplyParser: Sendable {
    public struct Limits: Hashable, Sendable {
        /// Longest reply line accepted, CRLF included. RFC 5321 §4.5.3.1.5 sets 512; servers exceed it.
        public var maxLineLength: Int
        /// Most lines in one multi-line reply (an EHLO reply has one per extension).
        public var maxLines: Int

        public init(maxLineLength: Int = 2048, maxLines: Int = 128) {
            self.maxLineLength = max(maxLineLength, 8)
            self.maxLines = max(maxLines, 1)
        }
    }

    public let limits: Limits
    private var pendingCode: Int?
    private var pendingLines: [String] = []

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Consumes complete lines from `buffer` until one reply is complete.
    /// - Returns: the reply, or nil when more bytes are needed (the consumed lines are kept).
    /// - Throws: ``SMTPError`` for a bare CR or LF, an over-long line or reply, or a malformed line.
    public mutating func parse(_ buffer: inout ByteBuffer) throws(SMTPError) -> SMTPReply? {
        // Each pass consumes one line; the line limit bounds the loop by the buffer's size.
        while let line = try self.nextLine(&buffer) {
            if let reply = try self.accept(line) { return reply }
        }
        return nil
    }

    /// Whether a multi-line reply has started but not finished.
    public var isMidReply: Bool { self.pendingCode != nil }

    private func nextLine(_ buffer: inout ByteBuffer) throws(SMTPError) -> [UInt8]? {
        let view = buffer.readableBytesView
        let scanned = min(view.count, self.limits.maxLineLength)
        var offset = 0
        for byte in view.prefix(scanned) {
            if byte == UInt8(ascii: "\n") {
                throw SMTPError(.bareLineEnding, "a reply line contains a bare LF")
            }
            if byte == UInt8(ascii: "\r") {
                guard offset + 1 < view.count else { return nil }
                guard view[view.startIndex + offset + 1] == UInt8(ascii: "\n") else {
                    throw SMTPError(.bareLineEnding, "a reply line contains a bare CR")
                }
                guard offset + 2 <= self.limits.maxLineLength else { break }
                let line = Array(view.prefix(offset))
                buffer.moveReaderIndex(forwardBy: offset + 2)
                return line
            }
            offset += 1
        }
        if view.count >= self.limits.maxLineLength {
            throw SMTPError(.lineTooLong, "a reply line is longer than \(self.limits.maxLineLength) bytes")
        }
        return nil
    }

    private mutating func accept(_ line: [UInt8]) throws(SMTPError) -> SMTPReply? {
        guard line.count >= 3,
            (UInt8(ascii: "2")...UInt8(ascii: "5")).contains(line[0]),
            (UInt8(ascii: "0")...UInt8(ascii: "5")).contains(line[1]),
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(line[2])
        else { throw SMTPError(.malformedReply, "a reply line does not start with a reply code") }
        let code = Int(line[0] - 48) * 100 + Int(line[1] - 48) * 10 + Int(line[2] - 48)
        let isLast: Bool
        switch line.count > 3 ? line[3] : UInt8(ascii: " ") {
        case UInt8(ascii: " "): isLast = true
        case UInt8(ascii: "-"): isLast = false
        default: throw SMTPError(.malformedReply, "a reply code is followed by neither space nor hyphen")
        }
        let text = line.count > 4 ? line[4...] : []
        if text.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) {
            throw SMTPError(.malformedReply, "a reply line contains a control character")
        }
        if let pending = self.pendingCode, pending != code {
            throw SMTPError(.malformedReply, "a multi-line reply changes its code from \(pending) to \(code)")
        }
        guard self.pendingLines.count < self.limits.maxLines else {
            throw SMTPError(.replyTooLong, "a reply has more than \(self.limits.maxLines) lines")
        }
        self.pendingLines.append(String(decoding: text, as: UTF8.self))
        guard isLast else {
            self.pendingCode = code
            return nil
        }
        defer {
            self.pendingCode = nil
            self.pendingLines = []
        }
        return SMTPReply(code: code, lines: self.pendingLines)
    }
}

public import NIOCore

/// Turns a message into the bytes that follow `DATA` (RFC 5321 §4.1.1.4, §4.5.2), in bounded chunks.
///
/// Line endings are normalized to CRLF first: a bare LF and a bare CR each become CRLF, so the stream can
/// never contain `<LF>.<LF>`, `<CR>.<CR>` or any other end-of-data look-alike that a receiving server might
/// read differently from us (SMTP smuggling). A line that starts with `.` gets a second `.` (the server
/// removes it). The stream ends with CRLF `.` CRLF, adding the CRLF if the message did not end a line.
///
///     message:  "Hi\n.hidden\r\n.\r\nbye"
///     stream:   "Hi\r\n..hidden\r\n..\r\nbye\r\n.\r\n"
public struct SMTPDataEncoder: Sendable {
    /// What the client must know about a message before `MAIL FROM`.
    public struct Inspection: Hashable, Sendable {
        /// Size after CRLF normalization, before dot-stuffing: the RFC 1870 `SIZE=` value.
        public var size: Int
        /// Whether any byte is over 0x7F (the body needs `BODY=8BITMIME`).
        public var needs8Bit: Bool
        /// Whether the message contains NUL, which SMTP cannot carry (RFC 5321 §4.1.4 / RFC 6152 §3).
        public var containsNUL: Bool

        public init(size: Int, needs8Bit: Bool, containsNUL: Bool) {
            self.size = size
            self.needs8Bit = needs8Bit
            self.containsNUL = containsNUL
        }
    }

    /// Looks at every byte once.
    public static func inspect(_ message: [UInt8]) -> Inspection {
        var size = 0
        var needs8Bit = false
        var containsNUL = false
        var previousWasCR = false
        var endsLine = true
        for byte in message {
            switch byte {
            case UInt8(ascii: "\r"):
                size += 2
                endsLine = true
            case UInt8(ascii: "\n"):
                size += previousWasCR ? 0 : 2
                endsLine = true
            default:
                size += 1
                endsLine = false
                if byte >= 0x80 { needs8Bit = true }
                if byte == 0 { containsNUL = true }
            }
            previousWasCR = byte == UInt8(ascii: "\r")
        }
        if !endsLine { size += 2 }
        return Inspection(size: size, needs8Bit: needs8Bit, containsNUL: containsNUL)
    }

    private let message: [UInt8]
    private var index = 0
    private var atLineStart = true
    private var wroteTerminator = false

    public init(message: [UInt8]) {
        self.message = message
    }

    /// Whether the terminating `.` line has been produced.
    public var isFinished: Bool { self.wroteTerminator }

    /// The next chunk of at most `maxBytes` bytes (at least 8), or nil when everything was produced.
    public mutating func nextChunk(maxBytes: Int = 16 * 1024, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer? {
        guard !self.wroteTerminator else { return nil }
        let limit = max(maxBytes, 8)
        var buffer = allocator.buffer(capacity: limit)
        // Every input byte produces at most two output bytes, so checking for two free bytes is enough.
        while self.index < self.message.count, buffer.readableBytes + 2 <= limit {
            let byte = self.message[self.index]
            switch byte {
            case UInt8(ascii: "\r"):
                buffer.writeStaticString("\r\n")
                let followedByLF = self.index + 1 < self.message.count && self.message[self.index + 1] == UInt8(ascii: "\n")
                self.index += followedByLF ? 2 : 1
                self.atLineStart = true
            case UInt8(ascii: "\n"):
                buffer.writeStaticString("\r\n")
                self.index += 1
                self.atLineStart = true
            default:
                if self.atLineStart, byte == UInt8(ascii: ".") { buffer.writeInteger(byte) }
                buffer.writeInteger(byte)
                self.index += 1
                self.atLineStart = false
            }
        }
        if self.index == self.message.count, buffer.readableBytes + 5 <= limit {
            if !self.atLineStart { buffer.writeStaticString("\r\n") }
            buffer.writeStaticString(".\r\n")
            self.wroteTerminator = true
        }
        return buffer
    }
}

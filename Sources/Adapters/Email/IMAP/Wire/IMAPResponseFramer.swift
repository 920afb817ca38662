public import NIOCore

/// Bounds on what one server response may occupy in memory.
public struct IMAPFramingLimits: Hashable, Sendable {
    /// The longest text line (CRLF excluded, literals not counted).
    public var maxLineLength: Int
    /// The largest single literal (`{n}` announced size).
    public var maxLiteralSize: Int
    /// The most literals one response may carry.
    public var maxLiteralsPerResponse: Int
    /// All lines and literals of one response together.
    public var maxResponseSize: Int

    public init(
        maxLineLength: Int = 64 * 1024,
        maxLiteralSize: Int = 32 * 1024 * 1024,
        maxLiteralsPerResponse: Int = 16,
        maxResponseSize: Int? = nil
    ) {
        self.maxLineLength = maxLineLength
        self.maxLiteralSize = maxLiteralSize
        self.maxLiteralsPerResponse = maxLiteralsPerResponse
        self.maxResponseSize = maxResponseSize ?? (maxLiteralSize + 4 * maxLineLength)
    }
}

/// One complete server response as it came off the wire: its text lines and the literals between them.
///
///     S: * 1 FETCH (UID 7 BODY[] {11}        lines[0] = "* 1 FETCH (UID 7 BODY[] {11}"
///     S: hello world                          literals[0] = "hello world" (exactly 11 bytes, any content)
///     S:  FLAGS (\Seen))                      lines[1] = " FLAGS (\Seen))"
///
/// `lines.count == literals.count + 1`; every line but the last ends with the `{n}` announcing the literal
/// that follows it (RFC 3501 §4.3).
public struct IMAPResponseFrame: Hashable, Sendable {
    public var lines: [ByteBuffer]
    public var literals: [ByteBuffer]

    public init(lines: [ByteBuffer], literals: [ByteBuffer] = []) {
        self.lines = lines
        self.literals = literals
    }
}

/// Splits the server's byte stream into responses, before any parsing (frame, then parse).
///
/// Lines end in CRLF only: a bare CR or LF is refused (the IMAP cousin of SMTP smuggling). A line that ends
/// in `{n}` is followed by exactly n bytes of literal, then the response continues on the next line; a
/// response may carry several literals. Every line, literal and response is bounded by ``IMAPFramingLimits``.
/// A literal is taken as a slice when it arrived whole and otherwise accumulated into one buffer sized up
/// front, so a body arriving in many small reads is copied once, never quadratically.
public struct IMAPResponseFramer: Sendable {
    enum State: Sendable {
        /// Reading a line; `scanned` bytes after the reader index are known to hold no line end.
        case line(scanned: Int)
        /// Reading a literal; `remaining` bytes still to come (those already read are in `literalBuffer`).
        case literal(remaining: Int)
    }

    public let limits: IMAPFramingLimits
    private var state: State = .line(scanned: 0)
    private var lines: [ByteBuffer] = []
    private var literals: [ByteBuffer] = []
    private var literalBuffer: ByteBuffer?
    private var responseSize = 0

    public init(limits: IMAPFramingLimits = IMAPFramingLimits()) {
        self.limits = limits
    }

    /// True when no part of a response is held (between responses, with no partial line consumed).
    public var isBetweenResponses: Bool {
        if case .line = self.state { return self.lines.isEmpty }
        return false
    }

    /// Consumes bytes from `buffer` and returns the next complete response, or nil when more bytes are needed.
    /// Bytes of an unfinished line stay in `buffer`; bytes of an unfinished literal are taken into the framer.
    public mutating func next(_ buffer: inout ByteBuffer) throws(IMAPError) -> IMAPResponseFrame? {
        while true {
            switch self.state {
            case .literal(let remaining):
                let available = min(remaining, buffer.readableBytes)
                if self.literalBuffer == nil, available == remaining {
                    self.literals.append(buffer.readSlice(length: remaining)!)
                    self.state = .line(scanned: 0)
                    continue
                }
                guard available > 0 else { return nil }
                // Take the buffer out of `self` so its storage is uniquely referenced while appending (no copy).
                var target = self.literalBuffer ?? ByteBufferAllocator().buffer(capacity: remaining)
                self.literalBuffer = nil
                var chunk = buffer.readSlice(length: available)!
                target.writeBuffer(&chunk)
                if available == remaining {
                    self.literals.append(target)
                    self.state = .line(scanned: 0)
                } else {
                    self.literalBuffer = target
                    self.state = .literal(remaining: remaining - available)
                    return nil
                }
            case .line(let scanned):
                guard let lineLength = try self.findLineEnd(in: buffer, from: scanned) else { return nil }
                let line = buffer.readSlice(length: lineLength)!
                buffer.moveReaderIndex(forwardBy: 2)
                self.state = .line(scanned: 0)
                self.responseSize += lineLength
                guard self.responseSize <= self.limits.maxResponseSize else {
                    throw IMAPError(.responseTooLarge, "a response exceeds \(self.limits.maxResponseSize) bytes")
                }
                self.lines.append(line)
                guard let literalSize = try self.announcedLiteral(line) else {
                    defer {
                        self.lines = []
                        self.literals = []
                        self.responseSize = 0
                    }
                    return IMAPResponseFrame(lines: self.lines, literals: self.literals)
                }
                guard self.literals.count < self.limits.maxLiteralsPerResponse else {
                    throw IMAPError(
                        .responseTooLarge, "more than \(self.limits.maxLiteralsPerResponse) literals in one response")
                }
                self.responseSize += literalSize
                guard self.responseSize <= self.limits.maxResponseSize else {
                    throw IMAPError(.responseTooLarge, "a response exceeds \(self.limits.maxResponseSize) bytes")
                }
                self.state = .literal(remaining: literalSize)
            }
        }
    }

    /// The length of the line before its CRLF, or nil (remembering how far it looked) when no CRLF yet.
    private mutating func findLineEnd(in buffer: ByteBuffer, from scanned: Int) throws(IMAPError) -> Int? {
        let maxLine = self.limits.maxLineLength
        let result: Result<Int?, IMAPError> = buffer.withUnsafeReadableBytes { bytes in
            var index = scanned
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\r"):
                    guard index + 1 < bytes.count else { return .success(nil) }
                    guard bytes[index + 1] == UInt8(ascii: "\n") else {
                        return .failure(IMAPError(.bareLineBreak, "a CR not followed by LF"))
                    }
                    return index > maxLine
                        ? .failure(IMAPError(.lineTooLong, "a line exceeds \(maxLine) bytes")) : .success(index)
                case UInt8(ascii: "\n"):
                    return .failure(IMAPError(.bareLineBreak, "a LF not preceded by CR"))
                case 0:
                    return .failure(IMAPError(.malformedResponse, "a NUL byte in a response line"))
                default:
                    index += 1
                    if index > maxLine { return .failure(IMAPError(.lineTooLong, "a line exceeds \(maxLine) bytes")) }
                }
            }
            return .success(nil)
        }
        let lineEnd = try result.get()
        if lineEnd == nil {
            // Resume after what was scanned; a trailing CR is looked at again once its LF can be seen.
            var resume = buffer.readableBytes
            if resume > 0, buffer.getInteger(at: buffer.readerIndex + resume - 1, as: UInt8.self) == UInt8(ascii: "\r")
            {
                resume -= 1
            }
            self.state = .line(scanned: resume)
        }
        return lineEnd
    }

    /// The size n when `line` ends in `{n}` (or `~{n}`, a literal8); nil when it announces no literal.
    private func announcedLiteral(_ line: ByteBuffer) throws(IMAPError) -> Int? {
        let view = line.readableBytesView
        guard view.last == UInt8(ascii: "}"), let open = view.lastIndex(of: UInt8(ascii: "{")) else { return nil }
        let digits = view[(open + 1)..<(view.endIndex - 1)]
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        guard digits.count <= 10 else {
            throw IMAPError(.literalTooLarge, "a literal above \(self.limits.maxLiteralSize) bytes was announced")
        }
        let size = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard size <= self.limits.maxLiteralSize else {
            throw IMAPError(
                .literalTooLarge, "a literal of \(size) bytes is above the \(self.limits.maxLiteralSize) byte limit")
        }
        return size
    }
}

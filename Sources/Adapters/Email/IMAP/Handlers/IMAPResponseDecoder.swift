public import NIOCore

/// Frames and parses server responses: ``IMAPResponseFramer`` then ``IMAPResponseParser``. Usable as a
/// `ByteToMessageDecoder` and inside a `NIOSingleStepByteToMessageProcessor`.
public struct IMAPResponseDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = IMAPResponse

    private var framer: IMAPResponseFramer

    public init(limits: IMAPFramingLimits = IMAPFramingLimits()) {
        self.framer = IMAPResponseFramer(limits: limits)
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> IMAPResponse? {
        guard let frame = try self.framer.next(&buffer) else { return nil }
        return try IMAPResponseParser.parse(frame)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> IMAPResponse? {
        try self.decode(buffer: &buffer)
    }
}

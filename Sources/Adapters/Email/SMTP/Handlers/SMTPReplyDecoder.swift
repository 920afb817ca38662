public import NIOCore

/// Frames the server's byte stream into replies (a `ByteToMessageDecoder` over ``SMTPReplyParser``).
///
/// Each reply comes with the number of bytes still buffered behind it, which the client needs to refuse
/// plaintext injected after the STARTTLS go-ahead.
public struct SMTPReplyDecoder: ByteToMessageDecoder {
    public struct Received: Hashable, Sendable {
        public var reply: SMTPReply
        /// Bytes received after this reply and not yet decoded.
        public var bufferedBytes: Int
    }

    public typealias InboundOut = Received

    private var parser: SMTPReplyParser

    public init(limits: SMTPReplyParser.Limits = SMTPReplyParser.Limits()) {
        self.parser = SMTPReplyParser(limits: limits)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let reply = try self.parser.parse(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(Received(reply: reply, bufferedBytes: buffer.readableBytes)))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try self.decode(context: context, buffer: &buffer) == .continue {}
        // Whatever is left is an unfinished line or reply; the connection is over, so it is dropped.
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }
}

import NIOCore

/// Frames a byte stream into XMPP stream events (a `ByteToMessageDecoder` over ``XMPPStreamParser``).
/// Every byte is consumed as it arrives; expat keeps a split tag or UTF-8 sequence internally.
public struct XMPPStreamDecoder: ByteToMessageDecoder {
    public typealias InboundOut = XMPPStreamEvent

    private let parser: XMPPStreamParser

    public init(limits: XMPPStreamLimits = XMPPStreamLimits()) {
        self.parser = XMPPStreamParser(limits: limits)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard buffer.readableBytes > 0 else { return .needMoreData }
        let events = try self.parser.feed(buffer)
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        for event in events { context.fireChannelRead(Self.wrapInboundOut(event)) }
        // Stanzas that completed before a stream-ending violation in the same read went up first.
        try self.parser.throwIfFailed()
        return .needMoreData
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        _ = try self.decode(context: context, buffer: &buffer)
        if seenEOF { try self.parser.finish() }
        return .needMoreData
    }
}

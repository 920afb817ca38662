public import BridgeModel
import Logging
public import NIOCore
import NIOPosix

/// Frames a byte stream into lines ending in CRLF (the CRLF removed), each at most `maxLineLength` bytes.
struct CRLFLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = [UInt8]
    let maxLineLength: Int

    struct LineTooLong: Error {}

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let line = try Self.nextLine(&buffer, maxLineLength: self.maxLineLength) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(line))
        return .continue
    }

    /// Takes the next line off `buffer`, or nil (nothing consumed) when it has not all arrived.
    /// A bare LF is left in the line so the state machine refuses it.
    static func nextLine(_ buffer: inout ByteBuffer, maxLineLength: Int) throws(LineTooLong) -> [UInt8]? {
        let view = buffer.readableBytesView
        guard let lf = view.firstIndex(of: 10) else {
            if buffer.readableBytes > maxLineLength { throw LineTooLong() }
            return nil
        }
        let length = lf - view.startIndex + 1
        if length > maxLineLength + 2 { throw LineTooLong() }
        guard var line = buffer.readBytes(length: length) else { return nil }
        line.removeLast()  // LF
        if line.last == 13 {
            line.removeLast()
        } else {
            line.append(10)
        }
        return line
    }
}

/// Accepts LMTP connections from the org's MTA and hands each message to `deliver`, answering every
/// recipient only after `deliver` returned (stored or refused and audited: 250) or threw (451, the MTA
/// keeps it and tries again).
public struct LMTPListener: Sendable {
    public let host: String
    public let port: Int
    let mailDomain: String
    let maxMessageBytes: Int
    let logger: Logger

    public init(host: String, port: Int, mailDomain: String, maxMessageBytes: Int, logger: Logger) {
        self.host = host
        self.port = port
        self.mailDomain = mailDomain
        self.maxMessageBytes = maxMessageBytes
        self.logger = logger
    }

    public func run(deliver: @escaping @Sendable ([UInt8]) async throws -> Void) async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: self.host, port: self.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(CRLFLineDecoder(maxLineLength: 64 * 1024)))
                    return try NIOAsyncChannel<[UInt8], ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        self.logger.notice("LMTP listener up", metadata: ["listen": "\(self.host):\(self.port)"])
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { connections in
                for try await connection in connections {
                    group.addTask {
                        do {
                            try await self.session(connection, deliver: deliver)
                        } catch {
                            self.logger.notice("LMTP session ended", metadata: ["error": "\(error)"])
                        }
                    }
                }
            }
        }
    }

    func session(_ connection: NIOAsyncChannel<[UInt8], ByteBuffer>, deliver: @Sendable ([UInt8]) async throws -> Void) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var machine = LMTPServerStateMachine(mailDomain: self.mailDomain, maxMessageBytes: self.maxMessageBytes)
            try await outbound.write(ByteBuffer(string: LMTPServerStateMachine.greeting + "\r\n"))
            for try await line in inbound {
                switch machine.received(line: line) {
                case .none:
                    continue
                case .reply(let text):
                    try await outbound.write(ByteBuffer(string: text + "\r\n"))
                case .close(let text):
                    try await outbound.write(ByteBuffer(string: text + "\r\n"))
                    return
                case .deliver(_, let recipients, let message):
                    let reply: String
                    do {
                        try await deliver(message)
                        reply = "250 2.0.0 stored"
                    } catch {
                        self.logger.warning("an LMTP message could not be stored; the MTA will retry", metadata: ["error": "\(error)"])
                        reply = "451 4.3.0 the gateway could not store the message; try again later"
                    }
                    machine.delivered()
                    let replies = Array(repeating: reply, count: recipients.count).joined(separator: "\r\n")
                    try await outbound.write(ByteBuffer(string: replies + "\r\n"))
                }
            }
        }
    }
}

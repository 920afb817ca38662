import BridgeModel
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Counts the public listener's open connections, in all and per source address, so that no one can
/// hold every file descriptor: the store, the audit log, the adapters and the admin listener always keep a
/// reserve.
final class ConnectionBudget: Sendable {
    let perSource: Int
    let total: Int
    private let open = Mutex<(total: Int, bySource: [String: Int])>((0, [:]))

    init(settings: HTTPSettings) {
        self.perSource = settings.maxConnectionsPerSource
        self.total = settings.maxConnections > 0 ? settings.maxConnections : Self.descriptorBudget(reserve: 128)
    }

    /// The soft file-descriptor limit less `reserve`, at least 16.
    static func descriptorBudget(reserve: Int) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(Int32.max) else { return 4096 }
        return max(16, Int(limit.rlim_cur) - reserve)
    }

    /// Takes a place for a new connection from `source`. - Returns: false when a limit is reached.
    func admit(_ source: String) -> Bool {
        self.open.withLock { open in
            guard open.total < self.total, open.bySource[source, default: 0] < self.perSource else { return false }
            open.total += 1
            open.bySource[source, default: 0] += 1
            return true
        }
    }

    func release(_ source: String) {
        self.open.withLock { open in
            open.total -= 1
            let left = open.bySource[source, default: 1] - 1
            open.bySource[source] = left > 0 ? left : nil
        }
    }

    var openConnections: Int { self.open.withLock { $0.total } }
}

/// Closes a public-listener connection that hoards a descriptor: one over its source's or the listener's
/// budget at once, one that does not send a complete request head within the header timeout (from opening,
/// or from the previous response), or a body within the body timeout. Idle keep-alive connections are
/// closed by the HTTP channel's own idle timeout.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let budget: ConnectionBudget
    private let headerTimeout: TimeAmount
    private let bodyTimeout: TimeAmount
    private var source: String?
    private var timer: Scheduled<Void>?

    init(budget: ConnectionBudget, settings: HTTPSettings) {
        self.budget = budget
        self.headerTimeout = .seconds(Int64(settings.headerTimeoutSeconds))
        self.bodyTimeout = .seconds(Int64(settings.bodyTimeoutSeconds))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let source = context.channel.remoteAddress?.ipAddress ?? "unknown"
        guard self.budget.admit(source) else {
            context.close(promise: nil)
            return
        }
        self.source = source
        self.arm(self.headerTimeout, context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        if let source = self.source {
            self.budget.release(source)
            self.source = nil
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head: self.arm(self.bodyTimeout, context: context)
        case .body: break
        case .end:
            // The request is complete; the time it takes to answer is the gateway's, not the client's.
            self.timer?.cancel()
            self.timer = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = self.unwrapOutboundIn(data) {
            // A keep-alive connection must bring its next request head in time, too.
            self.arm(self.headerTimeout, context: context)
        }
        context.write(data, promise: promise)
    }

    private func arm(_ timeout: TimeAmount, context: ChannelHandlerContext) {
        self.timer?.cancel()
        let channel = context.channel
        self.timer = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }
}

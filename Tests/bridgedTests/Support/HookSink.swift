import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Testing

/// A chat system's incoming-webhook endpoint on loopback: records every POST, and answers the next N with a
/// chosen failure status, to prove retries, dead letters and ordering against a real HTTP peer.
final class HookSink: Sendable {
    actor State {
        var requests: [(headers: [String: String], json: [String: Any])] = []
        var failures: [Int] = []
        var port: Int?

        func record(_ headers: [String: String], _ json: [String: Any]) -> Int {
            if !self.failures.isEmpty { return self.failures.removeFirst() }
            self.requests.append((headers, json))
            return 200
        }

        func fail(_ statuses: [Int]) { self.failures = statuses }
        func setPort(_ port: Int?) { self.port = port }
        var texts: [String] { self.requests.compactMap { $0.json["text"] as? String } }
        var count: Int { self.requests.count }
        /// Each request's `in_reply_to`, keyed by its text.
        var inReplyTo: [String: String] {
            var result: [String: String] = [:]
            for request in self.requests {
                if let text = request.json["text"] as? String, let reference = request.json["in_reply_to"] as? String { result[text] = reference }
            }
            return result
        }
        /// Each request's sender address (the generic dialect's `from`).
        var senders: [String] { self.requests.compactMap { $0.json["from"] as? String } }
        var eventIDs: [String] { self.requests.compactMap { $0.json["event_id"] as? String } }
        /// Each request's `kind` (the generic dialect's), in order.
        var kinds: [String] { self.requests.compactMap { $0.json["kind"] as? String } }
        var headers: [[String: String]] { self.requests.map(\.headers) }
        /// One field of each request's JSON body, as text ("" when absent).
        func field(_ key: String) -> [String] { self.requests.map { $0.json[key].map { "\($0)" } ?? "" } }
    }

    let state = State()
    private let group: ServiceGroup

    /// - Parameter port: 0 for any free port.
    init(port: Int = 0) {
        let state = self.state
        let router = Router()
        router.post("/hooks/:name") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let json = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]) ?? [:]
            let status = await state.record(headers, json)
            return Response(status: HTTPResponse.Status(code: status))
        }
        var logger = Logger(label: "hook-sink")
        logger.logLevel = .warning
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in await state.setPort(channel.localAddress?.port) },
            logger: logger
        )
        self.group = ServiceGroup(services: [app], logger: logger)
    }

    func start() async throws -> Int {
        let group = self.group
        Task { try await group.run() }
        // A generous bound: on a loaded machine the listener can take seconds to come up.
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let port = await self.state.port { return port }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the hook sink did not start listening within 60 s")
        throw CancellationError()
    }

    func stop() async { await self.group.triggerGracefulShutdown() }
}

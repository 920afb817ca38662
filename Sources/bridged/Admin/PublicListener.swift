import PolicyGate
import Logging
import Adapters
import BridgeModel
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore

/// The public listener: `POST /hooks/<adapter>` for every webhook adapter. Bodies are bounded by
/// `http.max_body_bytes`; the answer is 2xx only after the inbox committed.
enum PublicListener {
    static func application(gateway: Gateway) -> some ApplicationProtocol {
        let router = Router()
        let limit = gateway.config.daemon.http.maxBodyBytes
        router.post("/hooks/:adapter") { request, context -> Response in
            let name = context.parameters.get("adapter") ?? ""
            guard let adapter = gateway.webhooks[name] else {
                // Not an adapter's request: counted under one label, never audited (anyone can make up paths).
                gateway.metrics.rejected("unknown", reason: "unknown-adapter")
                return Self.response(WebhookAdapter.rejection(.unknownAdapter))
            }
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: limit)
            } catch is NIOTooManyBytesError {
                let error = WebhookError.bodyTooLarge(limit: limit)
                await gateway.ingress.reject(
                    InboundRejection(adapter: name, reason: error.shortDescription, detail: error.description)
                )
                return Self.response(WebhookAdapter.rejection(error))
            }
            var headers: [String: String] = [:]
            for field in request.headers {
                headers[field.name.canonicalName] = field.value
            }
            let answer = await adapter.handle(
                WebhookAdapter.Request(headers: headers, body: Array(body.readableBytesView)), sink: gateway.ingress
            )
            return Self.response(answer)
        }
        let http = gateway.config.daemon.http
        let budget = gateway.publicBudget
        let server = HTTPServerBuilder.http1(
            configuration: .init(
                additionalChannelHandlers: [ConnectionGuard(budget: budget, settings: http)],
                idleTimeout: .seconds(Int64(http.idleTimeoutSeconds))
            )
        )
        return Application.listener(router, on: http.listen, name: "bridged", server: server, logger: gateway.logger) {
            await gateway.ports.setPublic($0)
        }
    }

    static func response(_ answer: WebhookAdapter.Response) -> Response {
        Response.json(HTTPResponse.Status(code: answer.status), bytes: answer.body)
    }
}

extension Application where Responder == RouterResponder<BasicRequestContext> {
    /// A listener on `address` that reports the port it actually bound (useful with port 0).
    static func listener(
        _ router: Router<BasicRequestContext>,
        on address: ListenAddress,
        name: String,
        server: HTTPServerBuilder = .http1(),
        logger: Logger,
        bound: @escaping @Sendable (Int?) async -> Void
    ) -> Self {
        Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: name),
            onServerRunning: { channel in await bound(channel.localAddress?.port) },
            logger: logger
        )
    }
}

extension Response {
    /// A JSON response from bytes already encoded.
    static func json(_ status: HTTPResponse.Status, bytes: [UInt8]) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

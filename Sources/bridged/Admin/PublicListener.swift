import PolicyGate
import Logging
import Adapters
import BridgeModel
import Foundation
import HTTPTypes
import Hummingbird
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
                // The name comes from the request path: keep it in the record only when it could be an adapter name.
                let shown = name.utf8.count <= 64 && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F } ? name : "-"
                await gateway.ingress.reject(
                    InboundRejection(adapter: shown, reason: "unknown-adapter", detail: "no webhook adapter named \(shown)")
                )
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
        let listen = gateway.config.daemon.http.listen
        return Application(
            router: router,
            configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: "bridged"),
            onServerRunning: { channel in await gateway.ports.setPublic(channel.localAddress?.port) },
            logger: gateway.logger
        )
    }

    static func response(_ answer: WebhookAdapter.Response) -> Response {
        Response.json(HTTPResponse.Status(code: answer.status), bytes: answer.body)
    }
}

extension Response {
    /// A JSON response from bytes already encoded.
    static func json(_ status: HTTPResponse.Status, bytes: [UInt8]) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

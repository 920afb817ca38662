public import BridgeModel
import Foundation
import Crypto

/// The XEP-0114 component protocol as a state machine: no channel, no I/O; the connection carries out
/// the actions it returns.
///
///     C: <stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='gw.acme.test'>
///     S: <stream:stream ... id='3BF96D32'>
///     C: <handshake>hex(SHA-1(id + secret))</handshake>
///     S: <handshake/>                                  (XEP-0114 §3: authenticated)
public struct ComponentStateMachine: Sendable {
    public enum State: Hashable, Sendable {
        case idle
        case awaitingStreamHeader
        case awaitingHandshakeReply
        case established
        case closed
    }

    public enum Action: Hashable, Sendable {
        case send(String)
        /// The server accepted the handshake.
        case established
        /// A stanza for the component to handle.
        case deliver(XMLElement)
        /// A stanza the parser refused (only its addressing is kept): answer it with a stanza error.
        case refuse(XMLElement, reason: String)
        /// The stream is over; `error` says why when it was not a clean close.
        case close(error: ComponentError?)
        case none
    }

    public private(set) var state: State = .idle
    let component: String
    let secret: Secret

    public init(component: String, secret: Secret) {
        self.component = component
        self.secret = secret
    }

    public static let namespace = "jabber:component:accept"

    /// The TCP connection is up: open the stream.
    public mutating func connected() -> Action {
        guard self.state == .idle else { return .none }
        self.state = .awaitingStreamHeader
        return .send(
            "<?xml version='1.0'?><stream:stream xmlns='\(Self.namespace)' "
                + "xmlns:stream='\(XMPPStreamParser.streamsNamespace)' to='\(XMLSerializer.escapeAttribute(self.component))'>"
        )
    }

    public mutating func received(_ event: XMPPStreamEvent) -> Action {
        switch (self.state, event) {
        case (.awaitingStreamHeader, .streamOpened(let stream)):
            guard let id = stream[attribute: "id"], !id.isEmpty else {
                return self.fail(ComponentError(.protocolViolation, "the server's stream header has no id"))
            }
            self.state = .awaitingHandshakeReply
            return .send("<handshake>\(Self.handshake(streamID: id, secret: self.secret))</handshake>")
        case (_, .stanza(let element)) where element.name == "error" && element.namespace == XMPPStreamParser.streamsNamespace:
            let condition = element.children.lazy.compactMap { node -> String? in
                if case .element(let child) = node, child.name != "text" { return child.name }
                return nil
            }.first ?? "undefined-condition"
            let text = element.element(named: "text")?.text
            return self.fail(ComponentError(.streamError(condition), text ?? ""))
        case (.awaitingHandshakeReply, .stanza(let element)) where element.name == "handshake":
            self.state = .established
            return .established
        case (.established, .stanza(let element)):
            return .deliver(element)
        case (.established, .refusedStanza(let element, let reason)):
            return .refuse(element, reason: reason)
        case (_, .streamClosed):
            self.state = .closed
            return .close(error: nil)
        case (.closed, _):
            return .none
        default:
            return self.fail(ComponentError(.protocolViolation, "unexpected \(Self.describe(event)) while \(self.state)"))
        }
    }

    /// The connection failed or was closed by the peer.
    public mutating func disconnected() -> Action {
        guard self.state != .closed else { return .none }
        let wasEstablished = self.state == .established
        self.state = .closed
        return .close(error: ComponentError(.connectionLost, wasEstablished ? "the server closed the connection" : "closed before the handshake completed"))
    }

    private mutating func fail(_ error: ComponentError) -> Action {
        self.state = .closed
        return .close(error: error)
    }

    /// XEP-0114 §3: lowercase hex of SHA-1 over the stream id followed by the shared secret.
    public static func handshake(streamID: String, secret: Secret) -> String {
        HexText.lowercase(Insecure.SHA1.hash(data: Array(streamID.utf8) + secret.bytes))
    }

    private static func describe(_ event: XMPPStreamEvent) -> String {
        switch event {
        case .streamOpened: "stream header"
        case .stanza(let element), .refusedStanza(let element, _): "<\(element.name)>"
        case .streamClosed: "stream close"
        }
    }
}

/// Why a component session ended.
public struct ComponentError: Error, Hashable, Sendable, CustomStringConvertible {
    enum Code: Hashable, Sendable {
        case streamError(String)
        case protocolViolation
        case connectionLost
        case malformedStream(String)
    }

    let code: Code
    public let detail: String

    init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    /// The stream error condition the server sent (`not-authorized`, `conflict`, ...), if it sent one.
    public var streamCondition: String? {
        if case .streamError(let condition) = self.code { return condition }
        return nil
    }

    /// True when the gateway ended the stream because what the server sent broke the stream's rules (a
    /// DTD, an oversized stanza, invalid UTF-8, ...): a refusal to audit, not only an outage.
    public var isRefusedStream: Bool {
        if case .malformedStream = self.code { return true }
        return false
    }

    public var shortDescription: String {
        switch self.code {
        case .streamError(let condition): "stream-error-\(condition)"
        case .protocolViolation: "protocol-violation"
        case .connectionLost: "connection-lost"
        case .malformedStream(let condition): "malformed-\(condition)"
        }
    }

    public var description: String { self.detail.isEmpty ? self.shortDescription : "\(self.shortDescription): \(self.detail)" }
}

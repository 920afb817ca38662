/// Answers the queries a client asks a gateway component directly: XEP-0030 service discovery on the
/// component domain and on each remote contact, and XEP-0199 ping. Pure: an `<iq/>` in, the answer out.
public struct XMPPServiceResponder: Sendable {
    static let discoInfo = "http://jabber.org/protocol/disco#info"
    static let discoItems = "http://jabber.org/protocol/disco#items"
    static let ping = "urn:xmpp:ping"

    /// What the component supports, as `<feature var=.../>` (sorted, as XEP-0115 hashing expects).
    public static let features = [
        Self.discoInfo, Self.discoItems, "jabber:iq:version", XMPPMessageTranslator.correction,
        XMPPMessageTranslator.reply, Self.ping,
    ].sorted()
    /// What a remote contact supports.
    public static let contactFeatures = [
        Self.discoInfo, XMPPMessageTranslator.correction, XMPPMessageTranslator.reply,
    ].sorted()

    public let component: String

    public init(component: String) {
        self.component = component
    }

    /// The answer to an `iq` of type get or set: a result, or a stanza error for what is not supported.
    public func answer(_ iq: XMLElement) -> XMLElement {
        guard let payload = iq.elements().first else {
            return XMPPMessageTranslator.error(answering: iq, type: "modify", condition: "bad-request", text: "an iq needs one payload")
        }
        let toComponent = iq[attribute: "to"].flatMap { try? JID(parsing: $0) }.map { $0.local == nil } ?? false
        switch (iq[attribute: "type"], payload.namespace, payload.name) {
        case ("get", Self.discoInfo, "query"):
            var query = XMLElement(name: "query", namespace: Self.discoInfo)
            if let node = payload[attribute: "node"] {
                return XMPPMessageTranslator.error(answering: iq, type: "cancel", condition: "item-not-found", text: "no node \(node)")
            }
            if toComponent {
                query.append(Self.identity(category: "gateway", type: "xmpp", name: "bridged federation gateway"))
                for feature in Self.features { query.append(Self.feature(feature)) }
            } else {
                query.append(Self.identity(category: "client", type: "pc", name: nil))
                for feature in Self.contactFeatures { query.append(Self.feature(feature)) }
            }
            return Self.result(answering: iq, with: query)
        case ("get", Self.discoItems, "query"):
            return Self.result(answering: iq, with: XMLElement(name: "query", namespace: Self.discoItems))
        case ("get", Self.ping, "ping"):
            return Self.result(answering: iq, with: nil)
        case ("get", "jabber:iq:version", "query") where toComponent:
            var query = XMLElement(name: "query", namespace: "jabber:iq:version")
            query.append(XMPPMessageTranslator.child("name", text: "bridged", namespace: "jabber:iq:version"))
            return Self.result(answering: iq, with: query)
        default:
            return XMPPMessageTranslator.error(
                answering: iq, type: "cancel", condition: "service-unavailable", text: "this gateway does not answer that query"
            )
        }
    }

    static func result(answering iq: XMLElement, with payload: XMLElement?) -> XMLElement {
        var reply = XMLElement(name: "iq", namespace: ComponentStateMachine.namespace)
        reply[attribute: "from"] = iq[attribute: "to"]
        reply[attribute: "to"] = iq[attribute: "from"]
        reply[attribute: "id"] = iq[attribute: "id"]
        reply[attribute: "type"] = "result"
        if let payload { reply.append(payload) }
        return reply
    }

    static func identity(category: String, type: String, name: String?) -> XMLElement {
        var identity = XMLElement(name: "identity", namespace: Self.discoInfo)
        identity[attribute: "category"] = category
        identity[attribute: "type"] = type
        identity[attribute: "name"] = name
        return identity
    }

    static func feature(_ name: String) -> XMLElement {
        var feature = XMLElement(name: "feature", namespace: Self.discoInfo)
        feature[attribute: "var"] = name
        return feature
    }
}

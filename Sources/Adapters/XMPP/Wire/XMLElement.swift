/// A parsed or built XML element: the unit XMPP stanzas are made of.
///
/// Names are kept split into namespace URI and local name (expat reports them resolved), so routing by
/// namespace never depends on which prefix a peer chose.
public struct XMLElement: Hashable, Sendable {
    public enum Node: Hashable, Sendable {
        case element(XMLElement)
        case text(String)
    }

    public struct Attribute: Hashable, Sendable {
        public var namespace: String?
        public var name: String
        public var value: String

        public init(namespace: String? = nil, name: String, value: String) {
            self.namespace = namespace
            self.name = name
            self.value = value
        }
    }

    public var namespace: String?
    public var name: String
    public var attributes: [Attribute]
    public var children: [Node]

    public init(name: String, namespace: String? = nil, attributes: [Attribute] = [], children: [Node] = []) {
        self.namespace = namespace
        self.name = name
        self.attributes = attributes
        self.children = children
    }

    /// The value of an un-namespaced attribute.
    public subscript(attribute name: String) -> String? {
        get { self.attributes.first { $0.namespace == nil && $0.name == name }?.value }
        set {
            self.attributes.removeAll { $0.namespace == nil && $0.name == name }
            if let newValue { self.attributes.append(Attribute(name: name, value: newValue)) }
        }
    }

    /// Child elements, optionally only those with this name (and namespace, when given).
    public func elements(named name: String? = nil, namespace: String? = nil) -> [XMLElement] {
        self.children.compactMap { node in
            guard case .element(let element) = node else { return nil }
            if let name, element.name != name { return nil }
            if let namespace, element.namespace != namespace { return nil }
            return element
        }
    }

    public func element(named name: String, namespace: String? = nil) -> XMLElement? {
        self.elements(named: name, namespace: namespace).first
    }

    /// The concatenated text children.
    public var text: String {
        self.children.reduce(into: "") { result, node in
            if case .text(let text) = node { result += text }
        }
    }

    public mutating func append(_ element: XMLElement) { self.children.append(.element(element)) }
    public mutating func append(text: String) { self.children.append(.text(text)) }
}

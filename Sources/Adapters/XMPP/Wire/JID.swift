public import BridgeModel

/// An XMPP address (RFC 7622): `[local@]domain[/resource]`.
public struct JID: Hashable, Sendable, CustomStringConvertible {
    public var local: String?
    public var domain: String
    public var resource: String?

    public init(local: String?, domain: String, resource: String? = nil) throws(JIDError) {
        if let local {
            guard !local.isEmpty, local.utf8.count <= 1023 else { throw JIDError("the local part is empty or too long") }
            // RFC 7622 §3.3.1: these characters may not appear in a localpart.
            for scalar in local.unicodeScalars where "\"&'/:<>@ ".unicodeScalars.contains(scalar) || scalar.value < 0x20 || scalar.value == 0x7F {
                throw JIDError("the local part contains a forbidden character")
            }
        }
        let domain = domain.lowercased()
        guard Address.isValidDomain(domain) else { throw JIDError("the domain is not a valid DNS name") }
        if let resource {
            guard !resource.isEmpty, resource.utf8.count <= 1023,
                resource.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F })
            else { throw JIDError("the resource is empty, too long or contains a control character") }
        }
        self.local = local
        self.domain = domain
        self.resource = resource
    }

    /// Parses `local@domain/resource` (RFC 7622 §3.2: the first `/` starts the resource, the `@` before it
    /// ends the local part).
    public init(parsing text: String) throws(JIDError) {
        var rest = Substring(text)
        var resource: String?
        if let slash = rest.firstIndex(of: "/") {
            resource = String(rest[rest.index(after: slash)...])
            rest = rest[..<slash]
        }
        var local: String?
        if let at = rest.firstIndex(of: "@") {
            local = String(rest[..<at])
            rest = rest[rest.index(after: at)...]
        }
        try self.init(local: local, domain: String(rest), resource: resource)
    }

    public var bare: JID {
        var copy = self
        copy.resource = nil
        return copy
    }

    public var description: String {
        var text = self.local.map { "\($0)@" } ?? ""
        text += self.domain
        if let resource = self.resource { text += "/\(resource)" }
        return text
    }
}

public struct JIDError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// XEP-0106 JID escaping: how an address that is not a valid JID local part (`bob@globex.test`, `d'artagnan`)
/// becomes one (`bob\40globex.test`, `d\27artagnan`), and back.
public enum JIDEscaping {
    /// XEP-0106 §3.2: the characters that are escaped, and their escape sequences.
    static let table: [(character: Character, code: String)] = [
        (" ", "20"), ("\"", "22"), ("&", "26"), ("'", "27"), ("/", "2f"), (":", "3a"), ("<", "3c"), (">", "3e"),
        ("@", "40"), ("\\", "5c"),
    ]
    static let codes: [String: Character] = Dictionary(uniqueKeysWithValues: table.map { ($0.code, $0.character) })
    static let escapes: [Character: String] = Dictionary(uniqueKeysWithValues: table.map { ($0.character, $0.code) })

    /// Escapes a local part. A backslash is escaped only where it would otherwise start an escape sequence
    /// (XEP-0106 §4.2), so existing JIDs with backslashes keep their meaning.
    public static func escape(_ local: String) -> String {
        let characters = Array(local)
        var output = ""
        for (index, character) in characters.enumerated() {
            if character == "\\" {
                let next = index + 2 < characters.count ? String(characters[(index + 1)...(index + 2)]) : ""
                output += self.codes[next.lowercased()] != nil ? "\\5c" : "\\"
            } else if let code = self.escapes[character] {
                output += "\\" + code
            } else {
                output.append(character)
            }
        }
        return output
    }

    /// Reverses ``escape(_:)``: only the ten escape sequences are decoded; any other backslash stays.
    public static func unescape(_ local: String) -> String {
        let characters = Array(local)
        var output = ""
        var index = 0
        while index < characters.count {
            if characters[index] == "\\", index + 2 < characters.count {
                let code = String(characters[(index + 1)...(index + 2)])
                if let character = self.codes[code] {
                    output.append(character)
                    index += 3
                    continue
                }
            }
            output.append(characters[index])
            index += 1
        }
        return output
    }

    /// How a remote person appears inside the org's XMPP server: `bob@globex.test` on component
    /// `gw.acme.test` is `bob\40globex.test@gw.acme.test`.
    public static func jid(for address: Address, component: String) throws(JIDError) -> JID {
        try JID(local: self.escape(address.description), domain: component)
    }

    /// A local user's JID on the org's own server. XMPP refuses some characters mail and chat allow in a
    /// local part, so such users are registered escaped (XEP-0106): `o'brien@acme.test` is the account
    /// `o\27brien@acme.test`. Every JID built for a local person goes through here.
    public static func localJID(for address: Address) throws(JIDError) -> JID {
        try JID(local: self.escape(address.local), domain: address.domain)
    }

    /// The address of a local user's JID: its local part unescaped (`o\27brien@acme.test` is
    /// `o'brien@acme.test`), or nil when it is no person's address.
    public static func localAddress(for jid: JID) -> Address? {
        guard let local = jid.local else { return nil }
        return try? Address(local: self.unescape(local), domain: jid.domain)
    }

    /// The remote address a component JID stands for, or nil when it is not one of the component's.
    public static func address(for jid: JID, component: String) -> Address? {
        guard jid.domain == component.lowercased(), let local = jid.local else { return nil }
        return try? Address(parsing: self.unescape(local))
    }
}

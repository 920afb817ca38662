/// Writes elements as XML for the wire: every attribute value and text node escaped, characters XML 1.0
/// forbids dropped, namespaces declared where they change. The output never contains markup that the
/// input values did not ask for, whatever those values hold.
public enum XMLSerializer {
    /// Serializes `element`, assuming the enclosing stream's default namespace is `inherited`.
    public static func serialize(_ element: XMLElement, inheritedNamespace inherited: String? = nil) -> String {
        var output = ""
        self.write(element, inherited: inherited, into: &output)
        return output
    }

    static func write(_ element: XMLElement, inherited: String?, into output: inout String) {
        output += "<" + element.name
        if let namespace = element.namespace, namespace != inherited {
            output += " xmlns=\"" + self.escapeAttribute(namespace) + "\""
        }
        var prefixes: [String: String] = [:]
        for attribute in element.attributes {
            var name = attribute.name
            if let namespace = attribute.namespace {
                if namespace == "http://www.w3.org/XML/1998/namespace" {
                    name = "xml:" + name
                } else {
                    let prefix = prefixes[namespace] ?? "ns\(prefixes.count + 1)"
                    if prefixes[namespace] == nil {
                        prefixes[namespace] = prefix
                        output += " xmlns:\(prefix)=\"" + self.escapeAttribute(namespace) + "\""
                    }
                    name = prefix + ":" + name
                }
            }
            output += " " + name + "=\"" + self.escapeAttribute(attribute.value) + "\""
        }
        guard !element.children.isEmpty else {
            output += "/>"
            return
        }
        output += ">"
        let namespace = element.namespace ?? inherited
        for child in element.children {
            switch child {
            case .element(let child): self.write(child, inherited: namespace, into: &output)
            case .text(let text): output += self.escapeText(text)
            }
        }
        output += "</" + element.name + ">"
    }

    public static func escapeText(_ text: String) -> String {
        self.escape(text, attribute: false)
    }

    public static func escapeAttribute(_ text: String) -> String {
        self.escape(text, attribute: true)
    }

    private static func escape(_ text: String, attribute: Bool) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"" where attribute: output += "&quot;"
            case "'" where attribute: output += "&apos;"
            case "\n" where attribute: output += "&#10;"
            case "\r": output += "&#13;"
            case "\t" where attribute: output += "&#9;"
            default:
                if self.isAllowedInXML(scalar) { output.unicodeScalars.append(scalar) }
            }
        }
        return output
    }

    /// XML 1.0 `Char`: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
    static func isAllowedInXML(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }
}

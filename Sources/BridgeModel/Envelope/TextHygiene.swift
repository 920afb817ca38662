/// Neutralises characters in message text that no person types but terminals, mail headers and chat
/// clients interpret: applied to every envelope at the gateway's one door, so every protocol gets the same.
///
/// - Bodies (plain and rich) keep line feeds and tabs; CR LF and lone CR become LF, U+2028/U+2029 become LF;
///   other C0 controls (ESC, BEL, NUL, ...), DEL and C1 controls (NEL included) are removed, as are the
///   bidi embedding and override controls U+202A–U+202E (the "Trojan source" trick). Bidi isolates and
///   marks, which right-to-left text needs, stay.
/// - Subjects and display names are single lines: every control character becomes a space, and bidi
///   controls of every kind are removed.
public enum TextHygiene {
    public static func neutralize(_ envelope: Envelope) -> Envelope {
        var envelope = envelope
        envelope.body = Self.body(envelope.body)
        if var rich = envelope.rich {
            rich.text = Self.body(rich.text)
            envelope.rich = rich
        }
        envelope.subject = envelope.subject.map(Self.line)
        envelope.sender.displayName = envelope.sender.displayName.map(Self.line)
        return envelope
    }

    public static func body(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: Self.needsBodyWork) else { return text }
        var output = String.UnicodeScalarView()
        var previousCR = false
        for scalar in text.unicodeScalars {
            defer { previousCR = scalar == "\r" }
            switch scalar.value {
            case 0x0A:
                if !previousCR { output.append("\n") }
            case 0x0D, 0x2028, 0x2029:
                output.append("\n")
            case 0x09:
                output.append(scalar)
            case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E:
                continue
            default:
                output.append(scalar)
            }
        }
        return String(output)
    }

    public static func line(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { Self.isControl($0) || Self.isBidiControl($0) }) else { return text }
        var output = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if Self.isBidiControl(scalar) { continue }
            output.append(Self.isControl(scalar) ? " " : scalar)
        }
        return String(output)
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029: true
        default: false
        }
    }

    static func isBidiControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x200E, 0x200F, 0x061C, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    static func needsBodyWork(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: false
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E: true
        default: false
        }
    }
}

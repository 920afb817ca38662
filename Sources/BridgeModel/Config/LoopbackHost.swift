/// Whether a configured host names this machine's loopback interface: `localhost`, `::1`, or an IPv4
/// literal in 127.0.0.0/8. A host name that merely starts with `127.` (`127.attacker.example`) is not.
public enum LoopbackHost {
    public static func contains(_ host: String) -> Bool {
        let host = host.lowercased()
        if host == "localhost" || host == "::1" || host == "[::1]" || host == "0:0:0:0:0:0:0:1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return false }
        for octet in octets {
            guard !octet.isEmpty, octet.count <= 3, octet.allSatisfy(\.isASCII), octet.allSatisfy(\.isNumber),
                let value = Int(octet), value <= 255
            else { return false }
        }
        return octets[0] == "127"
    }
}

public import BridgeModel
import Foundation

extension Participant {
    /// How a remote person is shown in another protocol: "bob (globex)", the display name (control
    /// characters dropped, at most 64 characters) or local part, and the first label of their domain.
    public var labelledName: String {
        let cleaned = String(
            (self.displayName ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                .unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(64)
        )
        let org = self.address.domain.split(separator: ".").first.map(String.init) ?? self.address.domain
        return "\(cleaned.isEmpty ? self.address.local : cleaned) (\(org))"
    }
}

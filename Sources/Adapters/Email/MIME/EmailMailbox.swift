public import BridgeModel

/// A mailbox from an address header: the address, and the display name decoded to Unicode.
public struct EmailMailbox: Hashable, Sendable, CustomStringConvertible {
    public var displayName: String?
    public var address: Address

    public init(displayName: String?, address: Address) {
        self.displayName = displayName
        self.address = address
    }

    public var description: String {
        guard let name = self.displayName else { return self.address.description }
        return "\(name) <\(self.address)>"
    }
}

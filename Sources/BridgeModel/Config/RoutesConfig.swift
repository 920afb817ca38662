/// `routes.toml`: how each org is reached, and which rooms are bridged.
public struct RoutesConfig: Sendable, Hashable {
    /// Direct messages to people of `org` go out through `adapter`.
    public struct Reach: Sendable, Hashable {
        public var org: String
        public var adapter: String

        public init(org: String, adapter: String) {
            self.org = org
            self.adapter = adapter
        }
    }

    /// A bridged room: whatever one member channel says goes to all the others (through the gate).
    public struct Room: Sendable, Hashable {
        public struct Member: Sendable, Hashable {
            public var adapter: String
            public var channel: String
            /// Who a line in this channel reaches, for protocols that do not say who is in a channel (chat
            /// webhooks, spools): `org:NAME` subjects and addresses, each decided by the gate. Empty means
            /// the adapter's own org. Where the protocol names the people (XMPP occupants' real JIDs), each
            /// person present is decided as well, at delivery.
            public var audience: [String]

            public init(adapter: String, channel: String, audience: [String] = []) {
                self.adapter = adapter
                self.channel = channel
                self.audience = audience
            }
        }

        public var id: String
        public var members: [Member]

        public init(id: String, members: [Member]) {
            self.id = id
            self.members = members
        }
    }

    public var reach: [Reach]
    public var rooms: [Room]

    public init(reach: [Reach] = [], rooms: [Room] = []) {
        self.reach = reach
        self.rooms = rooms
    }
}

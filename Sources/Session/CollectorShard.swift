import Noise
import Synchronization

/// One of several `CollectorSession`s that share a collector's address, each on its own
/// core (`collect --shards`). The kernel spreads datagrams over the shards' sockets by
/// their addresses, so an agent's datagrams usually reach one shard; each agent key is
/// owned by exactly one shard, which holds its keys, its streams and its acknowledgements.
///
/// A shard hands on what is not its own: DATA and CONTROL whose connection id another shard
/// gave out (an agent whose address changed), and initiations from an agent another shard
/// owns (`ForwardedDatagram`). Connection ids carry their shard (`id % count`), so no
/// lookup is shared; only the first initiation of an agent key takes the ledger's lock.
/// None of this is on the wire: to an agent the shards are one collector.
public struct CollectorShard: Sendable {
    /// This shard's place, 0 ..< `count`.
    public var index: Int
    public var count: Int
    /// Which shard owns which agent key, shared by all shards of the collector.
    public var ledger: ShardLedger

    public init(index: Int, count: Int, ledger: ShardLedger) {
        precondition(count >= 1 && index >= 0 && index < count, "shard \(index) of \(count)")
        self.index = index
        self.count = count
        self.ledger = ledger
    }

    /// The shard that gave out `connection`.
    public func owner(ofConnection connection: UInt32) -> Int { Int(connection % UInt32(count)) }

    /// `random` mapped onto this shard's connection ids (0 when it maps there: draw again).
    public func connectionID(from random: UInt32) -> UInt32 {
        let n = UInt32(count)
        return random % (UInt32.max / n) * n + UInt32(index)
    }
}

/// Which shard owns each agent key. The first shard to read a valid initiation of a key
/// takes it; the key stays there (its streams' state cannot move between cores) until the
/// allow list drops it, or goes back when that shard refused it (`maxPeers`).
public final class ShardLedger: Sendable {
    let owners = Mutex<[PublicKey: Int]>([:])

    public init() {}

    /// The shard that owns `key`, which becomes `shard` when no shard owns it yet.
    public func claim(_ key: PublicKey, for shard: Int) -> Int {
        owners.withLock { o in
            if let owner = o[key] { return owner }
            o[key] = shard
            return shard
        }
    }

    /// The shard that owns `key`, if any.
    public func owner(of key: PublicKey) -> Int? { owners.withLock { $0[key] } }

    /// Forgets `key`'s owner if it is `shard` (which holds no session of it).
    public func release(_ key: PublicKey, from shard: Int) {
        owners.withLock { o in if o[key] == shard { o[key] = nil } }
    }

    /// Forgets the owner of every key not in `allowed` (the allow list was reloaded).
    public func retain(_ allowed: Set<PublicKey>) {
        owners.withLock { o in o = o.filter { allowed.contains($0.key) } }
    }
}

/// Why a link dropped a datagram.
public enum DropReason: String, Sendable, Equatable, CaseIterable {
    /// Independent loss (`LinkConfig.lossProbability`).
    case randomLoss
    /// Gilbert–Elliott loss (`LinkConfig.burstLoss`).
    case burstLoss
    /// Sent while the link was down (`LinkConfig.outages`).
    case outage
    /// The bottleneck queue had no room (`LinkConfig.bandwidth`).
    case queueOverflow
    /// Longer than `LinkConfig.mtu`.
    case overMTU
}

/// What one link did so far, in datagrams and bytes.
///
/// Every datagram sent is dropped once or scheduled once, and a duplicate adds one copy,
/// so at any time: `sentDatagrams + duplicated == deliveredDatagrams + droppedTotal + inFlight`.
public struct LinkCounters: Sendable, Equatable {
    /// Datagrams handed to `send`.
    public var sentDatagrams = 0
    /// Bytes handed to `send`.
    public var sentBytes = 0
    /// Copies handed out by `popDelivery` (duplicates included).
    public var deliveredDatagrams = 0
    /// Bytes handed out by `popDelivery` (duplicates included).
    public var deliveredBytes = 0
    /// Datagrams dropped for `randomLoss`.
    public var droppedRandomLoss = 0
    /// Datagrams dropped for `burstLoss`.
    public var droppedBurstLoss = 0
    /// Datagrams dropped for `outage`.
    public var droppedOutage = 0
    /// Datagrams dropped for `queueOverflow`.
    public var droppedQueueOverflow = 0
    /// Datagrams dropped for `overMTU`.
    public var droppedOverMTU = 0
    /// Datagrams given a second copy.
    public var duplicated = 0
    /// Copies with a bit flipped.
    public var corrupted = 0
    /// Copies given the extra reordering delay.
    public var reordered = 0
    /// Copies delivered after a copy of a datagram sent later (whatever the cause: jitter,
    /// the reordering delay, a late duplicate).
    public var deliveredOutOfOrder = 0
    /// Copies scheduled and not yet delivered.
    public var inFlight = 0
    /// The most bytes the bottleneck queue ever held (the datagram being serialised included).
    public var maxQueueBytes = 0

    public init() {}

    /// The datagrams dropped for `reason`.
    public subscript(dropped reason: DropReason) -> Int {
        get {
            switch reason {
            case .randomLoss: droppedRandomLoss
            case .burstLoss: droppedBurstLoss
            case .outage: droppedOutage
            case .queueOverflow: droppedQueueOverflow
            case .overMTU: droppedOverMTU
            }
        }
        set {
            switch reason {
            case .randomLoss: droppedRandomLoss = newValue
            case .burstLoss: droppedBurstLoss = newValue
            case .outage: droppedOutage = newValue
            case .queueOverflow: droppedQueueOverflow = newValue
            case .overMTU: droppedOverMTU = newValue
            }
        }
    }

    /// Datagrams dropped for any reason.
    public var droppedTotal: Int {
        DropReason.allCases.reduce(0) { $0 + self[dropped: $1] }
    }
}

extension LinkCounters: CustomStringConvertible {
    /// One line for logs and `flamewire simulate` summaries, e.g.
    /// "sent 1000 (64000 B), delivered 880 (56320 B), dropped 120 (randomLoss 120), …".
    public var description: String {
        let drops = DropReason.allCases.filter { self[dropped: $0] > 0 }.map { "\($0.rawValue) \(self[dropped: $0])" }
        let dropText = drops.isEmpty ? "" : " (" + drops.joined(separator: ", ") + ")"
        return "sent \(sentDatagrams) (\(sentBytes) B), delivered \(deliveredDatagrams) (\(deliveredBytes) B), "
            + "dropped \(droppedTotal)\(dropText), duplicated \(duplicated), corrupted \(corrupted), "
            + "reordered \(reordered), out of order \(deliveredOutOfOrder), in flight \(inFlight), "
            + "max queue \(maxQueueBytes) B"
    }
}

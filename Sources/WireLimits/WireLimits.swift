/// The constants of the wire protocol, one for one as `Protocol/SPEC.md` §2 lists them.
///
/// Every module of the wire stack (codec, framing, sessions) reads its limits from here,
/// so a change to the specification's table is a change to one file.
public enum WireLimits {
    /// High nibble of datagram byte 0.
    public static let version: UInt8 = 2
    /// Default largest UDP payload, header and tag included.
    public static let defaultMaxDatagram = 1400
    /// Smallest and largest configurable `MAX_DATAGRAM`; a receiver drops longer datagrams.
    public static let maxDatagramRange = 576...1472
    /// Bytes of a DATA datagram header.
    public static let dataHeaderLength = 23
    /// Authentication tag at the end of every sealed datagram.
    public static let tagLength = 16
    /// Source symbols per FEC block.
    public static let maxSourceSymbols = 64
    /// Symbol indices in a block (source and parity): 0 … 255.
    public static let maxSymbols = 256
    /// Blocks per bundle.
    public static let maxBlocks = 255
    /// Windows per bundle.
    public static let maxBundleWindows = 255
    /// Decoded states a receiver keeps per stream as possible bases.
    public static let ringSize = 16
    /// Largest window payload after snappy decompression.
    public static let maxPayload = 64 << 20
    /// Most locations in one stack.
    public static let maxDepth = 65_536
    /// Most value columns in a stream's info.
    public static let maxColumns = 64
    /// Most values (stacks × columns) in one decoded state.
    public static let maxStateValues = 1 << 24
    /// Most locations summed over all stacks one window defines.
    public static let maxWindowFrames = 1 << 22
    /// Default acceptable probability that a block cannot be rebuilt.
    public static let defaultFECTarget = 0.01
    /// Windows in flight whose states a sender keeps as possible bases.
    public static let senderInFlight = 64
    /// Partial bundles a receiver reassembles at once per peer, and bytes it holds for them.
    public static let maxPartialBundles = 1024
    public static let maxBufferedBytes = 64 << 20
}

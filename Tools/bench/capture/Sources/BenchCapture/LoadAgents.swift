import Keys
import Noise
import Session

/// The load generators' agents: static keys drawn from a seed, so the collector's allow
/// list (written first) and the run that plays them agree.
public enum LoadAgents {
    public static func keys(count: Int, seed: UInt64) -> [PrivateKey] {
        (0..<count).map { i in
            var r = SessionRandom(.seeded(seed &* 1_000_003 &+ UInt64(i)))
            return PrivateKey(using: &r)
        }
    }

    /// The allow file's text: one base64 public key per line.
    public static func allowList(_ keys: [PrivateKey]) -> String {
        keys.map(\.publicKey.base64).joined(separator: "\n") + "\n"
    }
}

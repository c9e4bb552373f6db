import Synchronization

/// Wakes one waiting task: a signal that arrives while nobody waits is kept (once) for the
/// next wait. The collector's store drain waits on it instead of polling, so a window is
/// committed as soon as it is decoded rather than up to a polling period later.
final class WakeSignal: Sendable {
    private let state = Mutex<(pending: Bool, waiter: CheckedContinuation<Void, Never>?, timedOut: Bool)>((false, nil, false))

    /// Why a wait ended.
    enum Wake: Equatable, Sendable { case signalled, timedOut }

    /// Wakes the waiter, or the next one.
    func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns at the next signal (at once if one is pending), after `limit`, or when the
    /// task is cancelled (as `.signalled`), and says which. One waiter at a time.
    @discardableResult
    func wait(upTo limit: Duration) async -> Wake {
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.next() }
                group.addTask {
                    // A timeout wakes the waiter like a signal; a signal first cancels the sleep.
                    do {
                        try await Task.sleep(for: limit)
                        self.state.withLock { $0.timedOut = true }
                        self.signal()
                    } catch {}
                }
                await group.next()
                group.cancelAll()
            }
            return state.withLock { s in
                defer { s.timedOut = false }
                return s.timedOut ? .timedOut : .signalled
            }
        } onCancel: {
            signal()
        }
    }

    private func next() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s -> Bool in
                if s.pending {
                    s.pending = false
                    return true
                }
                s.waiter = c
                return false
            }
            if ready { c.resume() }
        }
    }
}

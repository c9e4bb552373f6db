/// Order statistics in linear expected time, for picking the widest frames of a huge tree
/// without sorting it.
enum Selection {
    /// The `k`-th largest element (0-based: `k == 0` is the maximum) of `values`, which is
    /// reordered in the process. Quickselect with a median-of-three pivot; after many
    /// unlucky rounds it sorts the remaining range, so the worst case is O(n log n).
    static func kthLargest(_ values: inout [Int64], _ k: Int) -> Int64 {
        precondition(k >= 0 && k < values.count)
        return values.withUnsafeMutableBufferPointer { a -> Int64 in
            var lo = 0
            var hi = a.count - 1
            var rounds = 0
            while hi > lo {
                rounds += 1
                if rounds > 64 {
                    // Descending sort of what is left; the answer is then at k.
                    var slice = UnsafeMutableBufferPointer(rebasing: a[lo...hi])
                    slice.sort(by: >)
                    return a[k]
                }
                // Median of three, placed at `lo`.
                let mid = lo + (hi - lo) / 2
                if a[mid] > a[lo] { a.swapAt(mid, lo) }
                if a[hi] > a[lo] { a.swapAt(hi, lo) }
                if a[mid] > a[hi] { a.swapAt(mid, hi) }
                // Now a[lo] >= a[hi] >= a[mid]: use a[hi] as the pivot.
                let pivot = a[hi]
                // Three-way partition (descending): [> pivot][== pivot][< pivot].
                var lt = lo
                var i = lo
                var gt = hi
                while i <= gt {
                    let v = a[i]
                    if v > pivot {
                        a.swapAt(i, lt)
                        lt += 1
                        i += 1
                    } else if v < pivot {
                        a.swapAt(i, gt)
                        gt -= 1
                    } else {
                        i += 1
                    }
                }
                if k < lt {
                    hi = lt - 1
                } else if k > gt {
                    lo = gt + 1
                } else {
                    return pivot
                }
            }
            return a[k]
        }
    }
}

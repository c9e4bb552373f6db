/*
 * gen-folded: a seeded generator of synthetic folded stacks ("root;child;leaf COUNT"),
 * for FlameWire's benchmarks and fuzz seeds.
 *
 * It builds a random "program": a call graph of a few thousand functions with realistic
 * names (Go application and standard-library code, C++ library code, libc and kernel
 * frames), arranged in layers from a few roots down to runtime and kernel leaves, with
 * some recursive edges. Each stack is a random walk from a root through that graph, so
 * stacks share prefixes the way real profiles do. Every stack is distinct, depths run
 * from 1 to --max-depth, and counts follow a heavy-tailed distribution (half are 1).
 *
 * Output is sorted byte-wise by stack, as stackcollapse tools emit it, unless --shuffle.
 * Everything is integer arithmetic from one xoshiro256** stream, so the same arguments
 * give the same bytes on any machine.
 *
 * Build: cc -O2 -o gen-folded gen-folded.c   (Tools/gen-folded/gen-folded.sh does this)
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEN_VERSION "gen-folded 1"

#define MAX_FUNCTIONS 60000 /* ids are uint16_t */
#define MAX_NAME 120
#define MIN_NAME 10

static void die(const char *fmt, const char *arg) {
    fprintf(stderr, "gen-folded: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(2);
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory (%s)", "malloc");
    return p;
}

static void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) die("out of memory (%s)", "realloc");
    return q;
}

/* ---------------------------------------------------------------- random numbers */

static uint64_t rs[4];

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void seed_rng(uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) rs[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t next64(void) {
    uint64_t r = rotl(rs[1] * 5, 7) * 9;
    uint64_t t = rs[1] << 17;
    rs[2] ^= rs[0];
    rs[3] ^= rs[1];
    rs[1] ^= rs[2];
    rs[0] ^= rs[3];
    rs[2] ^= t;
    rs[3] = rotl(rs[3], 45);
    return r;
}

/* Uniform in [0, n), n > 0 (multiply-shift; the tiny bias is irrelevant here). */
static inline uint64_t below(uint64_t n) { return (uint64_t)(((unsigned __int128)next64() * n) >> 64); }

/* Skewed towards 0: the smaller of two uniform picks. */
static inline uint64_t skewed(uint64_t n) {
    uint64_t a = below(n), b = below(n);
    return a < b ? a : b;
}

static inline int percent(unsigned p) { return below(100) < p; }

/* Heavy-tailed count: 2^k + uniform(2^k) with k geometric(1/2), so P(count >= x) ~ 1/x. */
static int64_t heavy_count(void) {
    uint64_t r = next64() | (1ull << 30);
    int k = __builtin_ctzll(r);
    return (int64_t)((1ull << k) + below(1ull << k));
}

/* ---------------------------------------------------------------- names */

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char *orgs[] = {"acme", "globex", "initech", "umbrella", "hooli", "vandelay", "starkind", "wayneco"};
static const char *repos[] = {"svc", "api", "billing", "search", "ingest", "gateway", "storage", "authz", "metrics",
                              "scheduler", "ledger", "catalog"};
static const char *pkgs[] = {"store", "index", "cache", "httpx", "rpc", "codec", "query", "planner", "exec", "wal",
                             "raft", "shard", "pool", "queue", "session", "router", "compress", "jsonx", "proto",
                             "trace", "limiter", "retry", "tenant", "blob", "segment", "bloom", "lsm", "txn"};
static const char *types[] = {"Index", "Server", "Client", "Conn", "Pool", "Cache", "Tree", "Node", "Segment",
                              "Reader", "Writer", "Encoder", "Decoder", "Batch", "Txn", "Cursor", "Iterator",
                              "Handler", "Router", "Planner", "Executor", "Shard", "Replica", "Log", "Table",
                              "Compactor", "Snapshot", "Limiter", "Resolver", "Watcher"};
static const char *verbs[] = {"get", "put", "lookup", "scan", "flush", "compact", "encode", "decode", "handle",
                              "serve", "read", "write", "apply", "commit", "merge", "split", "open", "close",
                              "sync", "wait", "dispatch", "process", "parse", "validate", "marshal", "unmarshal",
                              "insert", "delete", "update", "resolve", "fetch", "load", "store", "emit", "run",
                              "visit", "rebuild", "seek", "append", "replay"};
static const char *nouns[] = {"Range", "Batch", "Entry", "Key", "Value", "Header", "Request", "Response", "Block",
                              "Page", "Chunk", "Segment", "Frame", "Record", "Token", "Row", "Column", "Index",
                              "Meta", "State", "Locked", "Slow", "Fast", "Once", "All", "Next", "Prefix", "Tail",
                              "Span", "Ctx"};
static const char *stdpkgs[] = {"encoding/json", "net/http", "bufio", "compress/flate", "crypto/sha256", "sort",
                                "regexp", "strconv", "bytes", "strings", "sync", "context", "io", "fmt",
                                "internal/poll", "net", "syscall", "time", "math/big", "crypto/tls",
                                "compress/gzip", "encoding/binary", "hash/crc32", "reflect", "os"};
static const char *stdtypes[] = {"decodeState", "encodeState", "conn", "Server", "Transport", "Reader", "Writer",
                                 "compressor", "digest", "machine", "Regexp", "Buffer", "Builder", "Mutex",
                                 "RWMutex", "WaitGroup", "FD", "netFD", "Timer", "Conn", "Int", "Value"};
static const char *cxxns[] = {"acme::storage", "acme::net", "acme::codec", "rocksdb", "folly", "absl",
                              "grpc_core", "google::protobuf", "boost::asio::detail", "snappy", "leveldb",
                              "tensorflow::core", "arrow::compute"};
static const char *cxxclasses[] = {"BlockCache", "MemTable", "DBImpl", "WriteBatch", "Arena", "ThreadPool",
                                   "EventBase", "IOBuf", "Status", "Slice", "Compaction", "VersionSet", "Channel",
                                   "Executor", "CodedInputStream", "HashMap", "Tensor", "ChunkedArray",
                                   "StringPiece", "LRUHandle"};
static const char *cxxmethods[] = {"Get", "Put", "Lookup", "Insert", "Erase", "Run", "Flush", "Compact", "Write",
                                   "Read", "Seek", "Next", "Append", "Reserve", "Resize", "Allocate", "Release",
                                   "Unref", "Ref", "Parse", "Serialize", "operator()", "operator[]", "~Impl"};
static const char *cxxargs[] = {"", "unsigned long", "int", "std::string const&", "acme::Slice const&",
                                "std::unique_ptr<acme::Block, std::default_delete<acme::Block> >", "void*",
                                "char const*, unsigned long", "std::function<void ()>", "bool"};
static const char *cxxtypes[] = {"int", "unsigned long", "std::string", "acme::Key", "double",
                                 "std::pair<int, double>", "rocksdb::Slice", "char", "folly::IOBuf*"};
static const char *stdcontainers[] = {"std::vector<%s, std::allocator<%s> >::push_back",
                                      "std::vector<%s, std::allocator<%s> >::_M_realloc_insert",
                                      "std::_Hashtable<%s, %s>::_M_find_before_node",
                                      "std::__detail::_Map_base<%s, %s>::operator[]",
                                      "std::deque<%s, std::allocator<%s> >::emplace_back",
                                      "std::_Rb_tree<%s, %s>::_M_insert_unique",
                                      "std::basic_string<char>::_M_append<%s, %s>",
                                      "std::__introsort_loop<%s*, %s*>"};
static const char *rustcrates[] = {"tokio::runtime", "hyper::proto", "serde_json::de", "hashbrown::raw",
                                   "regex::exec", "bytes::bytes", "futures_util::stream", "prost::encoding"};

/* Real frames that anchor the synthetic ones: roots, runtime, libc and kernel leaves. */
static const char *root_names[] = {"runtime.goexit", "runtime.mstart", "start_thread", "__libc_start_main",
                                   "runtime.morestack", "clone3_[k]", "ret_from_fork_[k]", "runtime.rt0_go"};
static const char *bottom_names[] = {
    "runtime.mallocgc", "runtime.memmove", "runtime.memclrNoHeapPointers", "runtime.growslice",
    "runtime.newobject", "runtime.makeslice", "runtime.mapassign_faststr", "runtime.mapaccess2_faststr",
    "runtime.mapaccess1_fast64", "runtime.scanobject", "runtime.gcDrain", "runtime.markroot",
    "runtime.gcBgMarkWorker", "runtime.selectgo", "runtime.chansend1", "runtime.chanrecv1", "runtime.gopark",
    "runtime.systemstack", "runtime.newstack", "runtime.copystack", "runtime.nanotime1", "runtime.usleep",
    "runtime.netpoll", "runtime.notesleep", "runtime.stopm", "runtime.findrunnable", "runtime.schedule",
    "runtime.park_m", "runtime.mcall", "runtime.futex", "runtime.lock2", "runtime.unlock2",
    "runtime.heapBitsSetType", "runtime.(*mcache).refill", "runtime.(*mcentral).cacheSpan",
    "runtime.(*mheap).alloc", "runtime.(*gcWork).balance", "runtime.wbBufFlush1", "runtime.typedmemmove",
    "runtime.concatstrings", "runtime.slicebytetostring", "runtime.aeshashbody", "runtime.memequal",
    "runtime.procyield", "runtime.osyield", "runtime.semacquire1", "runtime.semrelease1",
    "sync.(*Mutex).lockSlow", "sync.(*Mutex).Unlock", "syscall.Syscall", "syscall.RawSyscall6",
    "internal/poll.(*FD).Write", "internal/poll.(*FD).Read", "__memcpy_avx_unaligned_erms",
    "__memset_avx2_unaligned_erms", "__GI___libc_malloc", "_int_malloc", "_int_free", "__GI___libc_write",
    "pthread_mutex_lock", "pthread_cond_wait@@GLIBC_2.3.2", "__lll_lock_wait", "__strlen_avx2",
    "operator new(unsigned long)", "operator delete(void*, unsigned long)",
    "entry_SYSCALL_64_after_hwframe_[k]", "do_syscall_64_[k]", "__x64_sys_write_[k]", "ksys_write_[k]",
    "vfs_write_[k]", "tcp_sendmsg_locked_[k]", "copy_user_enhanced_fast_string_[k]", "asm_exc_page_fault_[k]",
    "handle_mm_fault_[k]", "__x64_sys_futex_[k]", "futex_wait_queue_[k]", "schedule_[k]",
    "__schedule_[k]", "finish_task_switch.isra.0_[k]", "__x64_sys_epoll_wait_[k]", "ep_poll_[k]",
    "clear_page_erms_[k]", "__handle_mm_fault_[k]", "native_write_msr_[k]", "try_to_wake_up_[k]",
    "Interpreter_[j]", "java.util.HashMap.getNode_[j]", "java.lang.String.hashCode_[i]",
    "core::ptr::drop_in_place<alloc::vec::Vec<u8>>_[i]"};

#define PICK(a) (a)[below(N_OF(a))]

static void upper_first(char *dst, size_t cap, const char *s) {
    snprintf(dst, cap, "%s", s);
    if (dst[0] >= 'a' && dst[0] <= 'z') dst[0] = (char)(dst[0] - 'a' + 'A');
}

/* One synthetic name for a function in the given band: 0 application, 1 library, 2 low level. */
static void synth_name(char *out, size_t cap, int band) {
    char v[64], t1[160];
    unsigned form = (unsigned)below(100);
    if (band == 0) {
        const char *org = PICK(orgs), *repo = PICK(repos), *pkg = PICK(pkgs);
        if (form < 40) {
            snprintf(out, cap, "github.com/%s/%s/internal/%s.(*%s).%s%s", org, repo, pkg, PICK(types), PICK(verbs),
                     PICK(nouns));
        } else if (form < 60) {
            upper_first(v, sizeof v, PICK(verbs));
            snprintf(out, cap, "github.com/%s/%s/pkg/%s.%s%s", org, repo, pkg, v, PICK(nouns));
        } else if (form < 75) {
            upper_first(v, sizeof v, PICK(verbs));
            snprintf(out, cap, "github.com/%s/%s/%s.(*%s).%s%s.func%u", org, repo, pkg, PICK(types), v,
                     PICK(nouns), (unsigned)(1 + below(4)));
        } else if (form < 85) {
            snprintf(out, cap, "%s/%s.(*%s).%s%s", repo, pkg, PICK(types), PICK(verbs), PICK(nouns));
        } else {
            upper_first(v, sizeof v, PICK(verbs));
            snprintf(out, cap, "main.(*%s).%s%s", PICK(types), v, PICK(nouns));
        }
    } else if (band == 1) {
        if (form < 35) {
            snprintf(out, cap, "%s.(*%s).%s%s", PICK(stdpkgs), PICK(stdtypes), PICK(verbs), PICK(nouns));
        } else if (form < 50) {
            upper_first(v, sizeof v, PICK(verbs));
            snprintf(out, cap, "%s.%s%s", PICK(stdpkgs), v, PICK(nouns));
        } else if (form < 72) {
            snprintf(out, cap, "%s::%s::%s(%s)", PICK(cxxns), PICK(cxxclasses), PICK(cxxmethods), PICK(cxxargs));
        } else if (form < 82) {
            const char *t = PICK(cxxtypes);
            snprintf(t1, sizeof t1, PICK(stdcontainers), t, t);
            snprintf(out, cap, "%s", t1);
        } else if (form < 90) {
            snprintf(out, cap, "%s::%s<%s>::%s", PICK(cxxns), PICK(cxxclasses), PICK(cxxtypes), PICK(cxxmethods));
        } else {
            upper_first(v, sizeof v, PICK(types));
            snprintf(out, cap, "<%s::%s as core::future::future::Future>::poll", PICK(rustcrates), v);
        }
    } else {
        if (form < 50) {
            snprintf(out, cap, "runtime.%s%s", PICK(verbs), PICK(nouns));
        } else if (form < 75) {
            snprintf(out, cap, "%s_%s_%s_[k]", PICK(verbs), PICK(pkgs), PICK(verbs));
        } else {
            snprintf(out, cap, "__%s_%s_avx2", PICK(verbs), PICK(pkgs));
        }
    }
}

/* A tiny open-addressing set of strings, for unique function names. */
typedef struct {
    char **keys;
    size_t cap;
} strset;

static uint64_t hash_bytes(const void *p, size_t n) {
    const unsigned char *b = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* Returns 1 if inserted, 0 if already there. cap must stay > 2x the number of keys. */
static int strset_insert(strset *s, const char *k) {
    size_t i = (size_t)hash_bytes(k, strlen(k)) & (s->cap - 1);
    for (size_t probes = 0; probes < s->cap; probes++) {
        if (!s->keys[i]) {
            s->keys[i] = strdup(k);
            if (!s->keys[i]) die("out of memory (%s)", "strdup");
            return 1;
        }
        if (strcmp(s->keys[i], k) == 0) return 0;
        i = (i + 1) & (s->cap - 1);
    }
    die("internal error: %s set full", "name");
    return 0;
}

/* ---------------------------------------------------------------- program graph */

typedef struct {
    char *name;
    uint16_t len;
    uint16_t level;
    uint32_t callee_off; /* into callees[] */
    uint16_t ncallees;
} func;

static func *funcs;
static uint16_t *callees;
static int nfuncs, nroots, nlevels;
static int *level_start; /* functions of level l are level_start[l] .. level_start[l+1]-1 */
static int bottom_start; /* first function of the low-level band (runtime, libc, kernel) */

static int band_of_level(int l) {
    if (l * 100 < nlevels * 55) return 0;
    if (l * 100 < nlevels * 80) return 1;
    return 2;
}

static int func_in_level(int l) { return level_start[l] + (int)below((uint64_t)(level_start[l + 1] - level_start[l])); }

static void build_program(void) {
    nlevels = 48;
    level_start = xmalloc(sizeof(int) * (size_t)(nlevels + 1));
    /* Level 0 holds the roots; the rest are split evenly. */
    level_start[0] = 0;
    level_start[1] = nroots;
    for (int l = 1; l < nlevels; l++) level_start[l + 1] = nroots + (int)((int64_t)(nfuncs - nroots) * l / (nlevels - 1));
    bottom_start = nfuncs;
    for (int l = 1; l < nlevels; l++)
        if (band_of_level(l) == 2) {
            bottom_start = level_start[l];
            break;
        }

    funcs = xmalloc(sizeof(func) * (size_t)nfuncs);
    strset names = {0};
    names.cap = 1;
    while (names.cap < (size_t)nfuncs * 4) names.cap <<= 1;
    names.keys = calloc(names.cap, sizeof(char *));
    if (!names.keys) die("out of memory (%s)", "names");

    size_t fixed_bottom = 0;
    char buf[512];
    for (int l = 0; l < nlevels; l++) {
        for (int f = level_start[l]; f < level_start[l + 1]; f++) {
            int ok = 0;
            for (int attempt = 0; attempt < 1000 && !ok; attempt++) {
                if (l == 0) {
                    snprintf(buf, sizeof buf, "%s", root_names[f]);
                } else if (band_of_level(l) == 2 && fixed_bottom < N_OF(bottom_names)) {
                    snprintf(buf, sizeof buf, "%s", bottom_names[fixed_bottom++]);
                } else {
                    synth_name(buf, sizeof buf, band_of_level(l));
                }
                size_t n = strlen(buf);
                if (n < MIN_NAME || n > MAX_NAME || strchr(buf, ';') || strchr(buf, '\n')) continue;
                ok = strset_insert(&names, buf);
            }
            if (!ok) die("could not make %s unique function names; lower --functions", "enough");
            funcs[f].name = strdup(buf);
            if (!funcs[f].name) die("out of memory (%s)", "strdup");
            funcs[f].len = (uint16_t)strlen(buf);
            funcs[f].level = (uint16_t)l;
        }
    }
    for (size_t i = 0; i < names.cap; i++) free(names.keys[i]);
    free(names.keys);

    /* Call edges. */
    size_t cap = (size_t)nfuncs * 8, n = 0;
    callees = xmalloc(sizeof(uint16_t) * cap);
    for (int f = 0; f < nfuncs; f++) {
        int l = funcs[f].level;
        int k;
        if (l == 0) {
            k = 24 + (int)below(40); /* roots fan out widely */
        } else if (l == nlevels - 1) {
            k = percent(35) ? 0 : 1 + (int)below(3); /* many true leaves */
        } else {
            uint64_t r = next64() | (1ull << 5);
            k = 1 + __builtin_ctzll(r) * 2 + (int)below(2); /* 1..12, mostly small */
        }
        if (n + (size_t)k > cap) {
            cap = cap * 2 + (size_t)k;
            callees = xrealloc(callees, sizeof(uint16_t) * cap);
        }
        funcs[f].callee_off = (uint32_t)n;
        funcs[f].ncallees = (uint16_t)k;
        for (int j = 0; j < k; j++) {
            int c;
            unsigned r = (unsigned)below(100);
            if (l == 0) {
                c = func_in_level(1 + (int)below(3));
            } else if (l == nlevels - 1 || r < 4) {
                /* allocation, locking, syscalls: called from everywhere */
                c = bottom_start + (int)skewed((uint64_t)(nfuncs - bottom_start));
            } else if (r < 17) {
                /* recursion: same level or a little above (never a root) */
                int up = l - (int)below(4);
                c = func_in_level(up < 1 ? 1 : up);
            } else {
                unsigned step = (unsigned)below(10);
                int down = l + (step < 7 ? 1 : step < 9 ? 2 : 3);
                c = func_in_level(down > nlevels - 1 ? nlevels - 1 : down);
            }
            callees[n++] = (uint16_t)c;
        }
    }
}

/* ---------------------------------------------------------------- stacks */

typedef struct {
    uint64_t *slots;
    size_t cap;
} hashset;

/* Returns 1 if h was new. h is never 0. */
static int hashset_insert(hashset *s, uint64_t h) {
    size_t i = (size_t)h & (s->cap - 1);
    for (;;) {
        if (s->slots[i] == 0) {
            s->slots[i] = h;
            return 1;
        }
        if (s->slots[i] == h) return 0;
        i = (i + 1) & (s->cap - 1);
    }
}

static int target_depth(int max_depth) {
    unsigned r = (unsigned)below(100);
    int d;
    if (r < 6) d = 1 + (int)below(4);
    else if (r < 60) d = 5 + (int)below(21);
    else if (r < 88) d = 26 + (int)below(25);
    else d = 51 + (int)below(max_depth > 100 ? (uint64_t)(max_depth - 50) : 50);
    return d > max_depth ? max_depth : d;
}

/* The output: one arena of "stack COUNT\n" lines, with where each stack ends. */
static char *arena;
static size_t arena_len, arena_cap;
typedef struct {
    size_t off;
    uint32_t stack_len;
    uint32_t line_len;
} line_ref;

static void arena_put(const char *p, size_t n) {
    if (arena_len + n > arena_cap) {
        while (arena_len + n > arena_cap) arena_cap = arena_cap ? arena_cap * 2 : (1u << 20);
        arena = xrealloc(arena, arena_cap);
    }
    memcpy(arena + arena_len, p, n);
    arena_len += n;
}

static int cmp_lines(const void *a, const void *b) {
    const line_ref *x = a, *y = b;
    size_t n = x->stack_len < y->stack_len ? x->stack_len : y->stack_len;
    int c = memcmp(arena + x->off, arena + y->off, n);
    if (c) return c;
    return (x->stack_len > y->stack_len) - (x->stack_len < y->stack_len);
}

static uint64_t parse_count(const char *flag, const char *s, uint64_t lo, uint64_t hi) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno) die("bad number for %s", flag);
    if (*end == 'k' || *end == 'K') v *= 1000ull, end++;
    else if (*end == 'm' || *end == 'M') v *= 1000000ull, end++;
    if (*end) die("bad number for %s (use digits with an optional k or M)", flag);
    if (v < lo || v > hi) die("%s is out of range", flag);
    return v;
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: gen-folded --stacks N [--max-depth D] [--seed S] [--functions F] [--roots R]\n"
            "                  [--shuffle] [--stats] [-o FILE]\n"
            "  --stacks N      distinct stacks to write (10k, 100k, 1M, ...)\n"
            "  --max-depth D   deepest stack, 1..1000 (default 100)\n"
            "  --seed S        random seed (default 1); same arguments give the same bytes\n"
            "  --functions F   functions in the synthetic program, 200..%d (default 4000)\n"
            "  --roots R       root functions, 1..%d (default 5)\n"
            "  --shuffle       write stacks in random order instead of sorted\n"
            "  --stats         print a summary to standard error\n"
            "  -o FILE         write to FILE instead of standard output\n",
            MAX_FUNCTIONS, (int)N_OF(root_names));
}

int main(int argc, char **argv) {
    uint64_t nstacks = 0, seed = 1;
    int max_depth = 100, shuffle = 0, stats = 0;
    const char *out_path = NULL;
    nfuncs = 4000;
    nroots = 5;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--version")) {
            puts(GEN_VERSION);
            return 0;
        } else if (!strcmp(a, "--shuffle")) {
            shuffle = 1;
        } else if (!strcmp(a, "--stats")) {
            stats = 1;
        } else if (strcmp(a, "--stacks") && strcmp(a, "--max-depth") && strcmp(a, "--seed") &&
                   strcmp(a, "--functions") && strcmp(a, "--roots") && strcmp(a, "-o") && strcmp(a, "--output")) {
            die("unknown argument '%s' (see --help)", a);
        } else if (!v) {
            die("%s needs a value (see --help)", a);
        } else if (!strcmp(a, "--stacks")) {
            nstacks = parse_count(a, v, 1, 50000000), i++;
        } else if (!strcmp(a, "--max-depth")) {
            max_depth = (int)parse_count(a, v, 1, 1000), i++;
        } else if (!strcmp(a, "--seed")) {
            seed = parse_count(a, v, 0, UINT64_MAX / 1000000), i++;
        } else if (!strcmp(a, "--functions")) {
            nfuncs = (int)parse_count(a, v, 200, MAX_FUNCTIONS), i++;
        } else if (!strcmp(a, "--roots")) {
            nroots = (int)parse_count(a, v, 1, N_OF(root_names)), i++;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            out_path = v, i++;
        }
    }
    if (nstacks == 0) die("%s is required (see --help)", "--stacks");

    seed_rng(seed);
    build_program();

    hashset seen = {0};
    seen.cap = 1;
    while (seen.cap < nstacks * 2) seen.cap <<= 1;
    seen.slots = calloc(seen.cap, sizeof(uint64_t));
    line_ref *lines = xmalloc(sizeof(line_ref) * nstacks);
    if (!seen.slots) die("out of memory (%s)", "stack set");

    uint16_t path[1000];
    uint64_t attempts = 0, max_attempts = nstacks * 200 + 100000;
    uint64_t depth_sum = 0, total = 0;
    int deepest = 0;
    char num[32];
    for (uint64_t s = 0; s < nstacks;) {
        if (++attempts > max_attempts) {
            snprintf(num, sizeof num, "%" PRIu64, s);
            die("only %s distinct stacks found; raise --max-depth or --functions, or lower --stacks", num);
        }
        int d = target_depth(max_depth);
        int f = (int)skewed((uint64_t)nroots);
        int depth = 0;
        path[depth++] = (uint16_t)f;
        while (depth < d && funcs[f].ncallees) {
            f = callees[funcs[f].callee_off + skewed(funcs[f].ncallees)];
            path[depth++] = (uint16_t)f;
        }
        uint64_t h = hash_bytes(path, sizeof(uint16_t) * (size_t)depth) | 1;
        if (!hashset_insert(&seen, h)) continue;

        size_t off = arena_len;
        for (int j = 0; j < depth; j++) {
            if (j) arena_put(";", 1);
            arena_put(funcs[path[j]].name, funcs[path[j]].len);
        }
        size_t stack_len = arena_len - off;
        int64_t count = heavy_count();
        int nl = snprintf(num, sizeof num, " %" PRId64 "\n", count);
        arena_put(num, (size_t)nl);
        lines[s].off = off;
        lines[s].stack_len = (uint32_t)stack_len;
        lines[s].line_len = (uint32_t)(arena_len - off);
        depth_sum += (uint64_t)depth;
        total += (uint64_t)count;
        if (depth > deepest) deepest = depth;
        s++;
    }

    if (shuffle) {
        for (uint64_t i = nstacks - 1; i > 0; i--) {
            uint64_t j = below(i + 1);
            line_ref t = lines[i];
            lines[i] = lines[j];
            lines[j] = t;
        }
    } else {
        qsort(lines, nstacks, sizeof(line_ref), cmp_lines);
    }

    FILE *out = stdout;
    if (out_path && strcmp(out_path, "-") != 0) {
        out = fopen(out_path, "wb");
        if (!out) die("cannot open output file %s", out_path);
    }
    static char obuf[1 << 20];
    setvbuf(out, obuf, _IOFBF, sizeof obuf);
    for (uint64_t i = 0; i < nstacks; i++) {
        if (fwrite(arena + lines[i].off, 1, lines[i].line_len, out) != lines[i].line_len) die("write failed: %s", strerror(errno));
    }
    if (fflush(out) != 0 || (out != stdout && fclose(out) != 0)) die("write failed: %s", strerror(errno));

    if (stats) {
        fprintf(stderr,
                "gen-folded: %" PRIu64 " stacks, %zu bytes, mean depth %.1f, max depth %d, total count %" PRIu64
                ", %d functions, %" PRIu64 " walks\n",
                nstacks, arena_len, (double)depth_sum / (double)nstacks, deepest, total, nfuncs, attempts);
    }
    return 0;
}

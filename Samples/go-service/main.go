// Command sample-service is a small Go HTTP service with net/http/pprof enabled and a
// mixed background load (JSON, regexp, SHA-256, sorting, map churn, gzip, allocations of
// many sizes, mutex contention, channel pipelines, deep recursion), so that its
// /debug/pprof endpoints serve realistic CPU, heap, mutex, block and goroutine profiles.
//
//	go run . -addr 127.0.0.1:6060 -seconds 60
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

type order struct {
	ID    int               `json:"id"`
	Items []string          `json:"items"`
	Attrs map[string]string `json:"attrs"`
	Total float64           `json:"total"`
}

var (
	mu      sync.Mutex
	cache   = map[int][]byte{}
	sinkLen int
	emailRE = regexp.MustCompile(`[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}`)
)

func encodeOrders(r *rand.Rand) {
	o := order{ID: r.Int(), Attrs: map[string]string{}}
	for i := 0; i < 20; i++ {
		o.Items = append(o.Items, fmt.Sprintf("sku-%d", r.Intn(1000)))
		o.Attrs[fmt.Sprintf("k%d", i)] = strings.Repeat("v", r.Intn(40))
	}
	b, _ := json.Marshal(o)
	var back order
	_ = json.Unmarshal(b, &back)
	sinkLen += len(back.Items)
}

func hashAndMatch(r *rand.Rand) {
	text := fmt.Sprintf("user%d@example%d.com and more text %d", r.Intn(1e6), r.Intn(100), r.Int())
	sum := sha256.Sum256([]byte(strings.Repeat(text, 50)))
	sinkLen += len(emailRE.FindAllString(text, -1)) + int(sum[0])
}

func sortAndChurn(r *rand.Rand) {
	xs := make([]int, 2000)
	for i := range xs {
		xs[i] = r.Int()
	}
	sort.Ints(xs)
	mu.Lock() // contended on purpose: shows up in the mutex and block profiles
	cache[r.Intn(5000)] = make([]byte, 64+r.Intn(8192))
	if len(cache) > 4000 {
		for k := range cache {
			delete(cache, k)
			break
		}
	}
	mu.Unlock()
}

func compress(r *rand.Rand) {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	for i := 0; i < 200; i++ {
		fmt.Fprintf(w, "line %d %d\n", i, r.Intn(100))
	}
	w.Close()
	sinkLen += buf.Len()
}

func recurse(depth int, r *rand.Rand) int {
	if depth == 0 {
		hashAndMatch(r)
		return 1
	}
	return recurse(depth-1, r) + 1
}

func pipeline(r *rand.Rand) {
	in := make(chan int)
	out := make(chan int)
	go func() {
		for v := range in {
			out <- v * v
		}
		close(out)
	}()
	go func() {
		for i := 0; i < 100; i++ {
			in <- r.Intn(100)
		}
		close(in)
	}()
	for v := range out {
		sinkLen += v
	}
}

// allocSiteBits is log2 of -alloc-sites: a real service's heap profile holds thousands of
// allocation stacks, this one's a few dozen unless it is asked for more.
var allocSiteBits = 0

// kept holds some of the site allocations live, so in-use space is not zero.
var kept [64][]byte

// siteA and siteB descend one level per bit of code, each bit choosing which of the two
// is called next, then allocate: 2^levels distinct stacks.
func siteA(code, level int, r *rand.Rand) {
	if level == 0 {
		siteAlloc(code, r)
		return
	}
	if code&1 == 0 {
		siteA(code>>1, level-1, r)
	} else {
		siteB(code>>1, level-1, r)
	}
}

func siteB(code, level int, r *rand.Rand) {
	if level == 0 {
		siteAlloc(code, r)
		return
	}
	if code&1 == 0 {
		siteA(code>>1, level-1, r)
	} else {
		siteB(code>>1, level-1, r)
	}
}

func siteAlloc(code int, r *rand.Rand) {
	b := make([]byte, 65536+(code%8)*65536) // large enough that most are sampled (one per 512 KB)
	kept[r.Intn(len(kept))] = b
	sinkLen += len(b)
}

func worker(id int, stop <-chan struct{}) {
	r := rand.New(rand.NewSource(int64(id)))
	for {
		select {
		case <-stop:
			return
		default:
		}
		kinds := 6
		if allocSiteBits > 0 {
			kinds = 7
		}
		switch r.Intn(kinds) {
		case 0:
			encodeOrders(r)
		case 1:
			hashAndMatch(r)
		case 2:
			sortAndChurn(r)
		case 3:
			compress(r)
		case 4:
			recurse(10+r.Intn(40), r)
		case 5:
			pipeline(r)
		case 6:
			// Skewed as in a real service: a few sites allocate most, most sites rarely.
			for i := 0; i < 8; i++ {
				u := r.Float64()
				siteA(int(u*u*u*float64(int(1)<<allocSiteBits)), allocSiteBits, r)
			}
		}
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:6060", "listen address (loopback by default)")
	seconds := flag.Int("seconds", 0, "exit after this many seconds (0: run until killed)")
	workers := flag.Int("workers", 4, "load goroutines")
	workSeconds := flag.Int("work-seconds", 0, "stop the load after this many seconds but keep serving pprof (0: never), so counters stop changing")
	allocSites := flag.Int("alloc-sites", 0, "also allocate from this many distinct stacks (rounded down to a power of two), as a large service does")
	flag.Parse()
	for *allocSites >= 2<<allocSiteBits {
		allocSiteBits++
	}
	runtime.SetMutexProfileFraction(5)
	runtime.SetBlockProfileRate(10000)

	stop := make(chan struct{})
	for i := 0; i < *workers; i++ {
		go worker(i, stop)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("listen %s: %v", *addr, err)
	}
	http.HandleFunc("/orders", func(w http.ResponseWriter, req *http.Request) {
		r := rand.New(rand.NewSource(time.Now().UnixNano()))
		encodeOrders(r)
		fmt.Fprintln(w, "ok")
	})
	fmt.Printf("READY http://%s/debug/pprof/\n", ln.Addr())
	os.Stdout.Sync()
	if *workSeconds > 0 {
		go func() {
			time.Sleep(time.Duration(*workSeconds) * time.Second)
			close(stop)
		}()
	}
	if *seconds > 0 {
		go func() {
			time.Sleep(time.Duration(*seconds) * time.Second)
			os.Exit(0)
		}()
	}
	log.Fatal(http.Serve(ln, nil))
}

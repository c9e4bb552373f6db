#!/usr/bin/env python3
"""The HTTP side of Tools/bench/vs-http.sh: what pyroscope-go and similar agents do.

  http_side.py receive --listen HOST:PORT --log FILE
      A plain HTTP/1.1 server (keep-alive) that accepts POST /ingest and appends one JSON
      line per profile: kind, seq, captured_ns and sent_ns (from the request: the profile's
      end, and when its POST started), received_ns (when the whole body had arrived), bytes.
  http_side.py upload --pprof URL --type heap|cpu --to URL --seconds S [--interval SEC]
                      [--cc bbr|cubic|reno] --log FILE
      Takes profiles from a Go service's net/http/pprof (heap every --interval; CPU as
      back-to-back 1 s profiles) for S seconds and POSTs each full gzip profile, in order,
      on one keep-alive TCP connection with the given congestion control (reconnecting and
      resending after an error, as an agent's HTTP client does). The capture time is the
      profile's own end (pprof time_nanos + duration_nanos), the same instant the
      FlameWire collector measures from. After S seconds it waits (at most 60 s) until
      every profile taken was answered.
"""
import argparse, gzip, http.client, http.server, json, queue, socket, sys, threading, time
import urllib.parse, urllib.request


def varint(b, i):
    v = shift = 0
    while True:
        c = b[i]; i += 1
        v |= (c & 0x7F) << shift
        if c < 0x80:
            return v, i
        shift += 7


def profile_end_ns(gz):
    """time_nanos + duration_nanos of a gzip pprof (fields 9 and 10 of Profile)."""
    b = gzip.decompress(gz)
    i, t, d = 0, 0, 0
    while i < len(b):
        key, i = varint(b, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, i = varint(b, i)
            if field == 9: t = v
            elif field == 10: d = v
        elif wire == 2:
            n, i = varint(b, i); i += n
        elif wire == 1: i += 8
        elif wire == 5: i += 4
        else:
            raise ValueError(f"pprof: wire type {wire} at byte {i}")
    return t + d


class Receiver(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    log_file = None
    lock = threading.Lock()

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        now = time.time_ns()
        rec = {"kind": self.headers.get("X-Kind", ""), "seq": int(self.headers.get("X-Seq", "0")),
               "captured_ns": int(self.headers.get("X-Captured-Ns", "0")), "sent_ns": int(self.headers.get("X-Sent-Ns", "0")),
               "received_ns": now, "bytes": len(body)}
        with Receiver.lock:
            Receiver.log_file.write(json.dumps(rec) + "\n"); Receiver.log_file.flush()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


def receive(a):
    host, port = a.listen.rsplit(":", 1)
    Receiver.log_file = open(a.log, "a")
    srv = http.server.ThreadingHTTPServer((host, int(port)), Receiver)
    srv.daemon_threads = True
    print("READY", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


class CCConnection(http.client.HTTPConnection):
    """An HTTP connection whose socket uses the named TCP congestion control."""
    cc = b"bbr"

    def connect(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, self.cc)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(self.timeout)
        s.connect((self.host, self.port))
        self.sock = s


def upload(a):
    CCConnection.cc = a.cc.encode()
    to = urllib.parse.urlsplit(a.to)
    q = queue.Queue()
    stats = {"taken": 0, "answered": 0, "errors": 0, "pprof_bytes": 0, "fetch_failures": 0}
    out = open(a.log, "a")

    def poster():
        conn = None
        while True:
            item = q.get()
            if item is None:
                return
            seq, captured, body = item
            while True:
                try:
                    if conn is None:
                        conn = CCConnection(to.hostname, to.port or 80, timeout=60)
                    conn.request("POST", to.path or "/", body=body, headers={
                        "Content-Type": "application/octet-stream", "X-Kind": a.type, "X-Seq": str(seq),
                        "X-Captured-Ns": str(captured), "X-Sent-Ns": str(time.time_ns())})
                    r = conn.getresponse(); r.read()
                    if r.status != 200:
                        raise OSError(f"HTTP {r.status}")
                    stats["answered"] += 1
                    out.write(json.dumps({"kind": a.type, "seq": seq, "captured_ns": captured, "answered_ns": time.time_ns(),
                                          "bytes": len(body)}) + "\n"); out.flush()
                    break
                except (OSError, http.client.HTTPException) as e:
                    stats["errors"] += 1
                    print(f"http_side upload: {e}; reconnecting", file=sys.stderr)
                    if conn is not None: conn.close()
                    conn = None
                    time.sleep(0.2)

    t = threading.Thread(target=poster, daemon=True)
    t.start()
    end = time.monotonic() + a.seconds
    seq = 0
    url = a.pprof.rstrip("/") + ("/profile?seconds=1" if a.type == "cpu" else "/heap")
    while time.monotonic() < end:
        tick = time.monotonic()
        try:
            body = urllib.request.urlopen(url, timeout=10).read()
            seq += 1
            stats["taken"] += 1
            stats["pprof_bytes"] += len(body)
            q.put((seq, profile_end_ns(body), body))
        except Exception as e:  # the service busy or down: the next tick tries again
            stats["fetch_failures"] += 1
            print(f"http_side upload: fetching {url}: {e}", file=sys.stderr)
            time.sleep(0.5)
        if a.type != "cpu":
            time.sleep(max(0.0, tick + a.interval - time.monotonic()))
    q.put(None)
    t.join(timeout=60)
    print(json.dumps(stats))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("receive"); r.add_argument("--listen", required=True); r.add_argument("--log", required=True)
    u = sub.add_parser("upload")
    u.add_argument("--pprof", required=True); u.add_argument("--type", choices=["heap", "cpu"], required=True)
    u.add_argument("--to", required=True); u.add_argument("--seconds", type=float, required=True)
    u.add_argument("--interval", type=float, default=1.0); u.add_argument("--cc", default="bbr")
    u.add_argument("--log", required=True)
    a = ap.parse_args()
    receive(a) if a.cmd == "receive" else upload(a)


if __name__ == "__main__":
    main()

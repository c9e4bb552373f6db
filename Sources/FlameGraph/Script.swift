/// The script embedded in every flame graph: hover details, click to zoom, search.
///
/// Design points, all for graphs of tens of thousands of frames:
/// - Labels arrive already cut to fit (see `LabelFit`); on zoom they are re-cut with the
///   same arithmetic. Nothing measures text, so zooming costs one pass of attribute writes.
/// - Per-frame data is what the markup already holds: the `<title>` (name, a line break,
///   the formatted numbers) and `fw:v="x w"`, the frame's offset and width in value units.
///   Zoom and the search percentage use those integers, not pixels, so nested matches are
///   counted once and nothing is lost to rounding.
/// - Three listeners on the frames group instead of handlers on every frame.
enum Script {
    /// The script's body: a function of one argument `F`, the layout constants.
    ///
    /// Must never contain `]]>` (it is written inside CDATA).
    static let body = #"""
        "use strict";
        var NS = "urn:flamewire:svg", SVG = "http://www.w3.org/2000/svg", doc = document;
        var frames = doc.getElementById("frames"), details = doc.getElementById("details");
        var matched = doc.getElementById("matched"), unzoomB = doc.getElementById("unzoom");
        var searchB = doc.getElementById("search"), unsearchB = doc.getElementById("unsearch");
        var pw = F.w - 2 * F.p, cw = 0.59 * F.fs, all = frames.children;
        var X = null, W = null, D = null, N = null, zoomed = null, lastTerm = "";

        function load() {
          if (X) return;
          var n = all.length;
          X = new Float64Array(n); W = new Float64Array(n); D = new Int32Array(n); N = new Array(n);
          for (var i = 0; i < n; i++) {
            var g = all[i], v = g.getAttributeNS(NS, "v").split(" ");
            X[i] = +v[0]; W[i] = +v[1];
            var y = +g.children[1].getAttribute("y");
            D[i] = F.inv ? Math.round((y - F.top) / F.fh) : F.md - Math.round((y - F.top) / F.fh);
            N[i] = text(g)[0];
            g.__i = i;
          }
        }
        function text(g) {
          var t = g.firstElementChild.textContent, k = t.indexOf("\n");
          return k < 0 ? [t, ""] : [t.slice(0, k), t.slice(k + 1)];
        }
        function wide(c) {
          return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) || (c >= 0xAC00 && c <= 0xD7A3) ||
            (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
            (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1FAFF) || (c >= 0x20000 && c <= 0x3FFFD);
        }
        // Same arithmetic as LabelFit.label in Swift.
        function fit(s, w) {
          var avail = Math.floor((w - 6) / cw);
          if (avail < 3) return "";
          var used = 0, cut = -1, i = 0;
          for (var ch of s) {
            var k = wide(ch.codePointAt(0)) ? 2 : 1;
            if (cut < 0 && used + k > avail - 2) cut = i;
            used += k;
            if (used > avail) return s.slice(0, cut) + "..";
            i += ch.length;
          }
          return s;
        }
        function fmt(v) { return String(Math.round(v * 100) / 100); }
        function place(i, x, w) {
          var g = all[i], r = g.children[1], t = g.children[2];
          r.setAttribute("x", fmt(F.p + x));
          r.setAttribute("width", fmt(w));
          var label = fit(N[i], w);
          if (!t) {
            if (!label) return;
            t = doc.createElementNS(SVG, "text");
            t.setAttribute("y", fmt(+r.getAttribute("y") + F.ty));
            g.appendChild(t);
          }
          t.setAttribute("x", fmt(F.p + x + 3));
          t.textContent = label;
        }
        function frameOf(n) {
          while (n && n.parentNode !== frames) n = n.parentNode;
          return n;
        }
        function zoom(g) {
          load();
          var z = g.__i, x0 = X[z], w0 = W[z], d0 = D[z];
          zoomed = g;
          unzoomB.classList.remove("h");
          for (var i = 0; i < all.length; i++) {
            var e = all[i], x = X[i], w = W[i];
            if (D[i] < d0 && x <= x0 && x + w >= x0 + w0) {
              e.setAttribute("class", "a"); e.style.display = ""; place(i, 0, pw);
            } else if (D[i] >= d0 && x >= x0 && x + w <= x0 + w0) {
              e.removeAttribute("class"); e.style.display = ""; place(i, (x - x0) / w0 * pw, w / w0 * pw);
            } else {
              e.style.display = "none";
            }
          }
        }
        function unzoom() {
          if (!zoomed) return;
          zoomed = null;
          unzoomB.classList.add("h");
          // The same arithmetic as the SVG writer, so every frame gets its original
          // position and label back.
          for (var i = 0; i < all.length; i++) {
            var e = all[i];
            e.removeAttribute("class"); e.style.display = ""; place(i, X[i] / F.tot * pw, W[i] / F.tot * pw);
          }
        }
        function resetSearch() {
          if (!X) return;
          for (var i = 0; i < all.length; i++) {
            var r = all[i].children[1];
            if (r.__f) { r.setAttribute("fill", r.__f); r.__f = null; }
          }
          matched.textContent = "";
          unsearchB.classList.add("h");
        }
        // Highlights frames whose name matches `term` (a regular expression) and returns
        // the matched share of the total in percent, or null when `term` is invalid.
        function search(term) {
          load();
          var re;
          try { re = new RegExp(term); } catch (err) { matched.textContent = "Invalid regular expression"; return null; }
          resetSearch();
          lastTerm = term;
          var hits = [];
          for (var i = 0; i < all.length; i++) {
            if (!re.test(N[i])) continue;
            var r = all[i].children[1];
            r.__f = r.getAttribute("fill");
            r.setAttribute("fill", "#e040e0");
            hits.push(i);
          }
          // Union of the matched intervals: a match inside a match counts once.
          hits.sort(function (a, b) { return X[a] - X[b] || W[b] - W[a]; });
          var sum = 0, end = -Infinity;
          for (var j = 0; j < hits.length; j++) {
            var a = X[hits[j]], b = a + W[hits[j]];
            if (b <= end) continue;
            sum += b - Math.max(a, end);
            end = b;
          }
          var pct = 100 * sum / F.tot;
          matched.textContent = "Matched: " + pct.toFixed(2) + "%";
          unsearchB.classList.remove("h");
          return pct;
        }
        function ask() {
          var term = window.prompt("Search frames (regular expression):", lastTerm);
          if (term) search(term);
        }
        frames.addEventListener("mouseover", function (e) {
          var g = frameOf(e.target);
          if (!g) return;
          var t = text(g);
          details.textContent = "Function: " + t[0] + " (" + t[1] + ")";
        });
        frames.addEventListener("mouseout", function () { details.textContent = " "; });
        frames.addEventListener("click", function (e) {
          var g = frameOf(e.target);
          if (g) zoom(g);
        });
        unzoomB.addEventListener("click", unzoom);
        searchB.addEventListener("click", ask);
        unsearchB.addEventListener("click", resetSearch);
        window.addEventListener("keydown", function (e) {
          if (((e.ctrlKey || e.metaKey) && (e.key === "f" || e.key === "F")) || e.key === "F3") {
            e.preventDefault();
            ask();
          } else if (e.key === "Escape") {
            resetSearch();
            unzoom();
          }
        });
        window.flamewire = { search: search, resetSearch: resetSearch, zoom: zoom, unzoom: unzoom };
        """#
}

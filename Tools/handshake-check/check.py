#!/usr/bin/env python3
# Independent check of Protocol/vectors/handshake-1.txt, written from Protocol/SPEC.md §10
# alone (not from the Swift code): redoes both handshakes, the transport keys and the
# sealed DATA datagram with the Python "cryptography" package and fails on any byte that
# differs. Run: python3 Tools/handshake-check/check.py Protocol/vectors/handshake-1.txt
import hashlib, hmac, sys, struct
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives import serialization

def parse(path):
    cases, cur = {}, None
    for line in open(path):
        line = line.strip()
        if not line or line.startswith('#'): continue
        if line.startswith('['): cur = cases.setdefault(line[1:-1], {}); continue
        k, v = [x.strip() for x in line.split('=', 1)]
        cur[k] = None if v == '-' else bytes.fromhex(v)
    return cases

def pub(priv): return X25519PrivateKey.from_private_bytes(priv).public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
def dh(priv, p): return X25519PrivateKey.from_private_bytes(priv).exchange(X25519PublicKey.from_public_bytes(p))
def H(*a): return hashlib.sha256(b''.join(a)).digest()
def HM(k, *a): return hmac.new(k, b''.join(a), hashlib.sha256).digest()
def hkdf(ck, ikm, n):
    t = HM(ck, ikm); out = []; prev = b''
    for i in range(1, n + 1):
        prev = HM(t, prev, bytes([i])); out.append(prev)
    return out

class SS:
    def __init__(s, name):
        n = name.encode(); s.h = n.ljust(32, b'\0') if len(n) <= 32 else H(n); s.ck = s.h; s.k = None; s.n = 0
    def mh(s, d): s.h = H(s.h, d)
    def mk(s, ikm): s.ck, k = hkdf(s.ck, ikm, 2); s.k, s.n = k, 0
    def mkh(s, ikm): s.ck, th, k = hkdf(s.ck, ikm, 3); s.mh(th); s.k, s.n = k, 0
    def enc(s, p):
        c = ChaCha20Poly1305(s.k).encrypt(b'\0' * 4 + struct.pack('<Q', s.n), p, s.h); s.n += 1; s.mh(c); return c
    def dec(s, c):
        p = ChaCha20Poly1305(s.k).decrypt(b'\0' * 4 + struct.pack('<Q', s.n), c, s.h); s.n += 1; s.mh(c); return p

def mac(k, d): return HM(k, d)[:16]

def run(name, c):
    psk = c['psk']
    proto = 'Noise_IKpsk2_25519_ChaChaPoly_SHA256' if psk else 'Noise_IK_25519_ChaChaPoly_SHA256'
    si, sr, ei, er = c['agent_static_private'], c['collector_static_private'], c['agent_ephemeral_private'], c['collector_ephemeral_private']
    assert pub(si) == c['agent_static_public'] and pub(sr) == c['collector_static_public']
    s = SS(proto); s.mh(b'FlameWire v1'); s.mh(pub(sr))
    m1 = pub(ei); s.mh(pub(ei))
    if psk: s.mk(pub(ei))
    s.mk(dh(ei, pub(sr))); m1 += s.enc(pub(si)); s.mk(dh(si, pub(sr))); m1 += s.enc(c['timestamp'])
    init = b'\x22' + c['agent_index'] + m1
    init += mac(H(b'mac1----', pub(sr)), init); init += b'\0' * 16
    assert init == c['initiation'], name + ' initiation'
    m2 = pub(er); s.mh(pub(er))
    if psk: s.mk(pub(er))
    s.mk(dh(er, pub(ei))); s.mk(dh(er, pub(si)))
    if psk: s.mkh(psk)
    m2 += s.enc(b'')
    resp = b'\x23' + c['collector_index'] + c['agent_index'] + m2
    resp += mac(H(b'mac1----', pub(si)), resp); resp += b'\0' * 16
    assert resp == c['response'], name + ' response'
    assert s.h == c['handshake_hash'], name + ' hash'
    k1, k2 = hkdf(s.ck, b'', 2)
    assert k1 == c['agent_send_key'] and k2 == c['collector_send_key'], name + ' keys'
    plain = c['data_plain']; hdr, sym = plain[:23], plain[23:]  # datagram layer v2: 23-byte DATA header (SPEC.md §6.3)
    assert hdr[0] == 0x21 and hdr[1:5] == c['collector_index'] and hdr[5:13] == struct.pack('>Q', 1)
    L = struct.unpack('>I', hdr[19:23])[0]; nsym = -(-L // len(sym)) if L else 0  # bundle length, N = ceil(L / S)
    assert L >= 1 and hdr[17] < -(-nsym // 64) <= 255, name + ' data header layout'
    sealed = hdr + ChaCha20Poly1305(k1).encrypt(b'\0' * 4 + struct.pack('>Q', 1), sym, hdr)
    assert sealed == c['data_sealed'], name + ' data'
    assert len(init) == 145 and len(resp) == 89
    print(name, 'ok')

cases = parse(sys.argv[1])
assert set(cases) == {'ik', 'ikpsk2'}
for n, c in cases.items(): run(n, c)

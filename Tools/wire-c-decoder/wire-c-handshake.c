/*
 * wire-c-handshake: checks the handshake vectors (Protocol/vectors/handshake-1.txt) from
 * Protocol/handshake.md and SPEC.md §6.3-§6.4 alone, with OpenSSL's primitives (X25519,
 * SHA-256, HMAC-SHA256, ChaCha20-Poly1305) and its own Noise (revision 34) code:
 *
 *   wire-c-decoder handshake-vectors FILE
 *
 * For every case ([ik]: Noise_IK_25519_ChaChaPoly_SHA256, [ikpsk2]:
 * Noise_IKpsk2_25519_ChaChaPoly_SHA256) it
 *  1. derives both static public keys from the private keys and compares them with the file;
 *  2. plays the agent (initiator) and builds the initiation from the agent's static and
 *     ephemeral private keys, the timestamp and the index, mac1 included;
 *  3. plays the collector (responder) on the file's initiation: length, byte 0, mac1 (checked
 *     first), mac2 zero, then Noise message 1, which must yield the agent's static public key
 *     and the timestamp; then the initiation of step 2 must equal the file's bytes; the
 *     collector builds the response from its ephemeral key;
 *  4. plays the agent on the file's response: length, byte 0, receiver index, mac1, mac2
 *     zero, message 2; then the response of step 3 must equal the file's bytes;
 *  5. checks that both sides end with the same handshake hash and Split() keys, and that they
 *     equal handshake_hash, agent_send_key and collector_send_key;
 *  6. opens data_sealed as the collector would (key = its receiving key = the agent's sending
 *     key, nonce = 4 zero bytes ‖ packet number big-endian, associated data = the 23-byte
 *     header of datagram layer version 2, tag = the last 16 bytes; byte 0 0x21 and the
 *     header's layout (L, b) checked as §6.5 rules 2-4 say): the plaintext must equal data_plain's symbol and the
 *     header must be data_plain's; sealing data_plain must give data_sealed again; and every
 *     change of one byte of data_sealed (b^01, b^80, b^ff at every offset) must fail to open.
 * It prints one line per case. Any mismatch is reported on stderr with status 1.
 *
 *   wire-c-decoder control FILE
 *   wire-c-decoder sweep control FILE
 *
 * read a CONTROL vector file (Protocol/vectors/control-1.txt: `[name]` sections of
 * `from = agent|collector`, `key = ` the sender's transport key, `payload = ` the frames'
 * plaintext, `datagram = ` the sealed datagram) and receive each datagram as SPEC.md
 * §11.1-§11.2 say (receive_control, parse_frames); `control` prints the lines of
 * control-1.expected.txt (Protocol/vectors/README.md), `sweep control` checks that no
 * truncation or one-byte change of a datagram is accepted and that no payload, changed and
 * sealed again, crashes the frame parser (cmd_control_sweep).
 */
#include "wire-c-handshake.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

enum {
    KEY_LEN = 32,
    HASH_LEN = 32,
    AEAD_TAG = 16,
    INITIATION_LEN = 145,
    RESPONSE_LEN = 89,
    DATA_HEADER = 23,    /* SPEC.md §6.3, datagram layer version 2 */
    DATA_BYTE0 = 0x21,   /* version 2 << 4 | type 1 (DATA) */
    INITIATION_BYTE0 = 0x22, /* version 2 << 4 | type 2 */
    RESPONSE_BYTE0 = 0x23,   /* version 2 << 4 | type 3 */
    MAX_DATAGRAM = 1472, /* SPEC.md §2 */
    CONTROL_HEADER = 13, /* SPEC.md §11.1 */
    CONTROL_BYTE0 = 0x25, /* version 2 << 4 | type 5 (CONTROL) */
    MAX_ACK_RANGES = 64,  /* §11.2 */
    MAX_LACKING = 64,     /* a block's source symbols, MAX_SOURCE_SYMBOLS (§2) */
    MAX_BLOCKS = 255,     /* §2 */
    MAX_SECTIONS = 64,
    MAX_ENTRIES = 64,
    MAX_NAME = 48,
    MAX_FILE = 1 << 20,
};

static const char PROLOGUE[] = "FlameWire v1"; /* 12 bytes, no NUL hashed */

/* ---------------------------------------------------------------- errors */

static const char *input = "";

static void fail(const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "wire-c-decoder: %s: ", input);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* ---------------------------------------------------------------- the vector file */

typedef struct {
    char name[MAX_NAME];
    int line;
    int none; /* the value "-" */
    unsigned char *bytes;
    size_t n;
    const char *text; /* a text field (parse_file's `text_fields`): its value, else NULL */
} Entry;

typedef struct {
    char name[MAX_NAME];
    int line;
    Entry entry[MAX_ENTRIES];
    size_t nentry;
} Section;

/* Static, so that everything parsed stays reachable when fail() exits. */
static Section sections[MAX_SECTIONS];
static size_t nsections;
static char *file_text;

static int hex_digit(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t' || *s == '\r') s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = 0;
    return s;
}

/* A value's name: a-z, 0-9, `_`; a section's may also hold `-` ([refused-tag]). */
static int valid_name(const char *s, size_t n, int section) {
    if (n == 0 || n >= MAX_NAME) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || (section && s[i] == '-')))
            return 0;
    return 1;
}

/* The file: `[case]` lines, `name = hex` (or `name = -`) lines, `#` comments, blank lines.
 * A name listed in `text_fields` (NULL-terminated; NULL for none) holds text instead of
 * hex: any non-empty value, kept as it is in `text`. */
static void parse_file(const char *path, const char *const *text_fields) {
    FILE *f = fopen(path, "rb");
    if (!f) fail("cannot open");
    file_text = malloc(MAX_FILE + 1);
    if (!file_text) fail("out of memory");
    size_t len = fread(file_text, 1, MAX_FILE + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) fail("cannot read");
    if (len > MAX_FILE) fail("larger than %d bytes", MAX_FILE);
    file_text[len] = 0;
    if (strlen(file_text) != len) fail("contains a NUL byte");
    int lineno = 0;
    for (char *p = file_text; *p;) {
        char *eol = strchr(p, '\n');
        if (eol) *eol = 0;
        lineno++;
        char *line = trim(p);
        p = eol ? eol + 1 : p + strlen(p);
        if (*line == 0 || *line == '#') continue;
        if (*line == '[') {
            size_t n = strlen(line);
            if (n < 3 || line[n - 1] != ']' || !valid_name(line + 1, n - 2, 1))
                fail("line %d: malformed section header", lineno);
            if (nsections == MAX_SECTIONS) fail("line %d: more than %d sections", lineno, MAX_SECTIONS);
            Section *s = &sections[nsections++];
            memcpy(s->name, line + 1, n - 2);
            s->name[n - 2] = 0;
            s->line = lineno;
            for (size_t i = 0; i + 1 < nsections; i++)
                if (strcmp(sections[i].name, s->name) == 0) fail("line %d: section [%s] again", lineno, s->name);
            continue;
        }
        if (nsections == 0) fail("line %d: a value before the first [section]", lineno);
        Section *s = &sections[nsections - 1];
        char *eq = strchr(line, '=');
        if (!eq) fail("line %d: expected `name = hex`", lineno);
        *eq = 0;
        char *name = trim(line), *value = trim(eq + 1);
        if (!valid_name(name, strlen(name), 0)) fail("line %d: malformed name", lineno);
        for (size_t i = 0; i < s->nentry; i++)
            if (strcmp(s->entry[i].name, name) == 0) fail("line %d: %s given twice in [%s]", lineno, name, s->name);
        if (s->nentry == MAX_ENTRIES) fail("line %d: more than %d values in [%s]", lineno, MAX_ENTRIES, s->name);
        Entry *e = &s->entry[s->nentry++];
        strcpy(e->name, name); /* valid_name bounded it */
        e->line = lineno;
        int text = 0;
        for (size_t i = 0; text_fields && text_fields[i]; i++) text |= strcmp(text_fields[i], name) == 0;
        if (text) {
            if (*value == 0) fail("line %d: %s: empty value", lineno, name);
            e->text = value; /* inside file_text, which lives until free_file() */
            continue;
        }
        if (strcmp(value, "-") == 0) {
            e->none = 1;
            continue;
        }
        size_t digits = strlen(value);
        if (digits == 0 || digits % 2) fail("line %d: %s: odd or empty hex", lineno, name);
        e->n = digits / 2;
        e->bytes = malloc(e->n);
        if (!e->bytes) fail("out of memory");
        for (size_t i = 0; i < e->n; i++) {
            int hi = hex_digit((unsigned char)value[2 * i]), lo = hex_digit((unsigned char)value[2 * i + 1]);
            if (hi < 0 || lo < 0) fail("line %d: %s: not hex", lineno, name);
            e->bytes[i] = (unsigned char)(hi << 4 | lo);
        }
    }
    if (nsections == 0) fail("no [section]");
}

static void free_file(void) {
    for (size_t i = 0; i < nsections; i++)
        for (size_t j = 0; j < sections[i].nentry; j++) free(sections[i].entry[j].bytes);
    nsections = 0;
    free(file_text);
    file_text = NULL;
}

static const Entry *find(const Section *s, const char *name) {
    for (size_t i = 0; i < s->nentry; i++)
        if (strcmp(s->entry[i].name, name) == 0) return &s->entry[i];
    fail("[%s]: no %s", s->name, name);
    return NULL;
}

/* The value `name`, which must be exactly `n` bytes. */
static const unsigned char *value_of(const Section *s, const char *name, size_t n) {
    const Entry *e = find(s, name);
    if (e->text) fail("[%s] line %d: %s is text, expected hex", s->name, e->line, name);
    if (e->none || e->n != n)
        fail("[%s] line %d: %s has %zu bytes, expected %zu", s->name, e->line, name, e->none ? (size_t)0 : e->n, n);
    return e->bytes;
}

/* ---------------------------------------------------------------- primitives (OpenSSL) */

static void sha256(const unsigned char *a, size_t na, const unsigned char *b, size_t nb, unsigned char out[HASH_LEN]) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int n = 0;
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(ctx, a, na) == 1 &&
             (nb == 0 || EVP_DigestUpdate(ctx, b, nb) == 1) && EVP_DigestFinal_ex(ctx, out, &n) == 1 && n == HASH_LEN;
    EVP_MD_CTX_free(ctx);
    if (!ok) fail("OpenSSL SHA-256 failed");
}

static void hmac(const unsigned char key[HASH_LEN], const unsigned char *d, size_t n, unsigned char out[HASH_LEN]) {
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key, HASH_LEN, d, n, out, &len) || len != HASH_LEN) fail("OpenSSL HMAC-SHA256 failed");
}

/* The X25519 public key of a private scalar (OpenSSL clamps it). */
static void x25519_public(const unsigned char priv[KEY_LEN], unsigned char pub[KEY_LEN]) {
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, KEY_LEN);
    size_t n = KEY_LEN;
    int ok = k && EVP_PKEY_get_raw_public_key(k, pub, &n) == 1 && n == KEY_LEN;
    EVP_PKEY_free(k);
    if (!ok) fail("OpenSSL X25519 public key failed");
}

/* DH(priv, pub): 1, or 0 when it fails or its result is 32 zero bytes (an error,
 * handshake.md). */
static int x25519(const unsigned char priv[KEY_LEN], const unsigned char pub[KEY_LEN], unsigned char out[KEY_LEN]) {
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, KEY_LEN);
    EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub, KEY_LEN);
    EVP_PKEY_CTX *ctx = k ? EVP_PKEY_CTX_new(k, NULL) : NULL;
    size_t n = KEY_LEN;
    int ok = ctx && peer && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, peer) == 1 &&
             EVP_PKEY_derive(ctx, out, &n) == 1 && n == KEY_LEN;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(peer);
    EVP_PKEY_free(k);
    static const unsigned char zero[KEY_LEN];
    return ok && CRYPTO_memcmp(out, zero, KEY_LEN) != 0;
}

/* ChaCha20-Poly1305: seal n bytes of p into c (n bytes) ‖ tag (16 bytes). */
static void aead_seal(const unsigned char key[KEY_LEN], const unsigned char nonce[12], const unsigned char *ad, size_t nad,
                      const unsigned char *p, size_t n, unsigned char *c) {
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0;
    int ok = ctx && n <= (size_t)INT32_MAX && nad <= (size_t)INT32_MAX &&
             EVP_EncryptInit_ex(ctx, EVP_chacha20_poly1305(), NULL, NULL, NULL) == 1 &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) == 1 &&
             EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) == 1 &&
             (nad == 0 || EVP_EncryptUpdate(ctx, NULL, &len, ad, (int)nad) == 1) &&
             (n == 0 || (EVP_EncryptUpdate(ctx, c, &len, p, (int)n) == 1 && (size_t)len == n)) &&
             EVP_EncryptFinal_ex(ctx, c + n, &len) == 1 && len == 0 &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, AEAD_TAG, c + n) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) fail("OpenSSL ChaCha20-Poly1305 sealing failed");
}

/* Opens n bytes of c (ciphertext ‖ tag, n ≥ 16) into p (n − 16 bytes). 1 when the tag
 * verifies; 0 otherwise (p then holds nothing to use). */
static int aead_open(const unsigned char key[KEY_LEN], const unsigned char nonce[12], const unsigned char *ad, size_t nad,
                     const unsigned char *c, size_t n, unsigned char *p) {
    if (n < AEAD_TAG || n > (size_t)INT32_MAX || nad > (size_t)INT32_MAX) return 0;
    size_t m = n - AEAD_TAG;
    unsigned char tag[AEAD_TAG];
    memcpy(tag, c + m, AEAD_TAG);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0;
    int ok = ctx && EVP_DecryptInit_ex(ctx, EVP_chacha20_poly1305(), NULL, NULL, NULL) == 1 &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) == 1 &&
             EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) == 1 &&
             (nad == 0 || EVP_DecryptUpdate(ctx, NULL, &len, ad, (int)nad) == 1) &&
             (m == 0 || (EVP_DecryptUpdate(ctx, p, &len, c, (int)m) == 1 && (size_t)len == m)) &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, AEAD_TAG, tag) == 1 &&
             EVP_DecryptFinal_ex(ctx, p + m, &len) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

/* ---------------------------------------------------------------- Noise (revision 34) */

typedef struct {
    unsigned char ck[HASH_LEN], h[HASH_LEN], k[KEY_LEN];
    int has_k;
    uint64_t n;
    int psk; /* IKpsk2: "e" also runs MixKey(e.public_key) (Noise §9.2) */
} Noise;

/* HKDF(ck, ikm) with `outputs` (2 or 3) outputs of 32 bytes: temp_key = HMAC(ck, ikm),
 * output_i = HMAC(temp_key, output_{i-1} ‖ byte(i)). */
static void hkdf(const unsigned char ck[HASH_LEN], const unsigned char *ikm, size_t n, int outputs,
                 unsigned char o1[HASH_LEN], unsigned char o2[HASH_LEN], unsigned char o3[HASH_LEN]) {
    unsigned char temp[HASH_LEN], buf[HASH_LEN + 1];
    hmac(ck, ikm, n, temp);
    buf[0] = 1;
    hmac(temp, buf, 1, o1);
    memcpy(buf, o1, HASH_LEN);
    buf[HASH_LEN] = 2;
    hmac(temp, buf, sizeof buf, o2);
    if (outputs == 3) {
        memcpy(buf, o2, HASH_LEN);
        buf[HASH_LEN] = 3;
        hmac(temp, buf, sizeof buf, o3);
    }
    OPENSSL_cleanse(temp, sizeof temp);
    OPENSSL_cleanse(buf, sizeof buf);
}

/* InitializeSymmetric(name), MixHash(prologue), MixHash(the responder's static key). */
static void noise_init(Noise *s, int psk, const unsigned char responder_static[KEY_LEN]) {
    memset(s, 0, sizeof *s);
    s->psk = psk;
    const char *name = psk ? "Noise_IKpsk2_25519_ChaChaPoly_SHA256" : "Noise_IK_25519_ChaChaPoly_SHA256";
    size_t n = strlen(name);
    if (n <= HASH_LEN)
        memcpy(s->h, name, n); /* padded with zeros */
    else
        sha256((const unsigned char *)name, n, NULL, 0, s->h);
    memcpy(s->ck, s->h, HASH_LEN);
    sha256(s->h, HASH_LEN, (const unsigned char *)PROLOGUE, strlen(PROLOGUE), s->h);
    sha256(s->h, HASH_LEN, responder_static, KEY_LEN, s->h); /* pre-message <- s */
}

static void mix_hash(Noise *s, const unsigned char *d, size_t n) { sha256(s->h, HASH_LEN, d, n, s->h); }

static void mix_key(Noise *s, const unsigned char *ikm, size_t n) {
    unsigned char ck[HASH_LEN], k[HASH_LEN];
    hkdf(s->ck, ikm, n, 2, ck, k, NULL);
    memcpy(s->ck, ck, HASH_LEN);
    memcpy(s->k, k, KEY_LEN);
    s->has_k = 1;
    s->n = 0;
}

static void mix_key_and_hash(Noise *s, const unsigned char *ikm, size_t n) {
    unsigned char ck[HASH_LEN], th[HASH_LEN], k[HASH_LEN];
    hkdf(s->ck, ikm, n, 3, ck, th, k);
    memcpy(s->ck, ck, HASH_LEN);
    mix_hash(s, th, HASH_LEN);
    memcpy(s->k, k, KEY_LEN);
    s->has_k = 1;
    s->n = 0;
}

/* The handshake's nonce: 4 zero bytes ‖ n little-endian. */
static void noise_nonce(uint64_t n, unsigned char nonce[12]) {
    memset(nonce, 0, 4);
    for (int i = 0; i < 8; i++) nonce[4 + i] = (unsigned char)(n >> (8 * i));
}

/* EncryptAndHash: c = n bytes (no key yet) or n + 16 bytes. */
static void encrypt_and_hash(Noise *s, const unsigned char *p, size_t n, unsigned char *c) {
    if (!s->has_k) fail("internal error: encrypting before any key");
    unsigned char nonce[12];
    noise_nonce(s->n++, nonce);
    aead_seal(s->k, nonce, s->h, HASH_LEN, p, n, c);
    mix_hash(s, c, n + AEAD_TAG);
}

/* DecryptAndHash of n bytes of c (ciphertext ‖ tag) into p; 0 when the tag fails. */
static int decrypt_and_hash(Noise *s, const unsigned char *c, size_t n, unsigned char *p) {
    if (!s->has_k) fail("internal error: decrypting before any key");
    unsigned char nonce[12];
    noise_nonce(s->n++, nonce);
    if (!aead_open(s->k, nonce, s->h, HASH_LEN, c, n, p)) return 0;
    mix_hash(s, c, n);
    return 1;
}

/* The "e" token: MixHash(e.pub), and in a psk handshake MixKey(e.pub) as well. */
static void token_e(Noise *s, const unsigned char e[KEY_LEN]) {
    mix_hash(s, e, KEY_LEN);
    if (s->psk) mix_key(s, e, KEY_LEN);
}

/* A DH token (es, ss, ee, se): MixKey(DH(priv, pub)); 0 when the DH fails. */
static int token_dh(Noise *s, const unsigned char priv[KEY_LEN], const unsigned char pub[KEY_LEN]) {
    unsigned char dh[KEY_LEN];
    int ok = x25519(priv, pub, dh);
    if (ok) mix_key(s, dh, KEY_LEN);
    OPENSSL_cleanse(dh, sizeof dh);
    return ok;
}

/* The same when building a message from the file's keys: a failure is a bad vector. */
static void build_dh(Noise *s, const unsigned char priv[KEY_LEN], const unsigned char pub[KEY_LEN]) {
    if (!token_dh(s, priv, pub)) fail("X25519 failed or gave 32 zero bytes (a low-order public key)");
}

/* The collector reads Noise message 1 (-> e, es, s, ss; bytes 5 ..< 113 of initiation `m`)
 * with its static private key: 1 with the agent's static key and the timestamp, 0 when a
 * DH or a decryption fails. */
static int read_message1(Noise *s, const unsigned char c_s[KEY_LEN], const unsigned char *m, unsigned char rs[KEY_LEN],
                         unsigned char ts[12]) {
    token_e(s, m + 5);
    return token_dh(s, c_s, m + 5) && decrypt_and_hash(s, m + 37, KEY_LEN + AEAD_TAG, rs) && token_dh(s, c_s, rs) &&
           decrypt_and_hash(s, m + 85, 12 + AEAD_TAG, ts);
}

/* The agent reads Noise message 2 (<- e, ee, se (, psk); bytes 9 ..< 57 of response `m`)
 * with its ephemeral and static private keys: 1, or 0 when a DH or the decryption fails. */
static int read_message2(Noise *s, const unsigned char a_e[KEY_LEN], const unsigned char a_s[KEY_LEN],
                         const unsigned char *psk, const unsigned char *m) {
    unsigned char empty[1];
    token_e(s, m + 9);
    if (!token_dh(s, a_e, m + 9) || !token_dh(s, a_s, m + 9)) return 0;
    if (psk) mix_key_and_hash(s, psk, KEY_LEN);
    return decrypt_and_hash(s, m + 41, AEAD_TAG, empty);
}

/* Split(): the first key for agent -> collector, the second for collector -> agent. */
static void split(const Noise *s, unsigned char k1[KEY_LEN], unsigned char k2[KEY_LEN]) { hkdf(s->ck, NULL, 0, 2, k1, k2, NULL); }

/* ---------------------------------------------------------------- FlameWire framing */

/* mac1 = HMAC-SHA256(SHA-256("mac1----" ‖ Spub), bytes before mac1)[0 ..< 16]. */
static void mac1(const unsigned char spub[KEY_LEN], const unsigned char *d, size_t n, unsigned char out[16]) {
    unsigned char key[HASH_LEN], full[HASH_LEN];
    sha256((const unsigned char *)"mac1----", 8, spub, KEY_LEN, key);
    hmac(key, d, n, full);
    memcpy(out, full, 16);
}

static void put_u32(unsigned char *p, const unsigned char idx[4]) { memcpy(p, idx, 4); }

static void hex_line(const char *label, const unsigned char *p, size_t n) {
    fprintf(stderr, "  %-8s ", label);
    for (size_t i = 0; i < n; i++) fprintf(stderr, "%02x", p[i]);
    fputc('\n', stderr);
}

/* Fails unless `got` equals the file's `name` (n bytes), naming the first differing byte. */
static void expect_equal(const Section *c, const char *name, const unsigned char *want, const unsigned char *got, size_t n,
                         const char *what) {
    if (memcmp(want, got, n) == 0) return;
    size_t i = 0;
    while (want[i] == got[i]) i++;
    fprintf(stderr, "wire-c-decoder: %s: [%s] %s: %s differs from the file from byte %zu on\n", input, c->name, name, what, i);
    hex_line("file", want, n);
    hex_line("computed", got, n);
    exit(1);
}

static const unsigned char zero16[16];
static const unsigned char flips[] = {0x01, 0x80, 0xff};

/* Every change of one byte (^01, ^80, ^ff) before mac1 (at mac_at, keyed by spub) of
 * handshake message `m` (n bytes) must be refused: with mac1 left as it is, mac1 no longer
 * verifies; and for a byte of the Noise message [from, mac_at), with mac1 recomputed (as a
 * sender who knows the receiver's public key could), reading the Noise message from state
 * `before` fails (read_message1 with key1 = the collector's static private key, or
 * read_message2 with key1, key2 = the agent's ephemeral and static private keys).
 * Returns the number of changes refused. */
static size_t corrupt_message(const char *case_name, const char *what, const unsigned char *m, size_t n, size_t from,
                              size_t mac_at, const unsigned char spub[KEY_LEN], const Noise *before,
                              const unsigned char *key1, const unsigned char *key2, const unsigned char *psk) {
    unsigned char x[INITIATION_LEN], mac[16], rs[KEY_LEN], ts[12];
    size_t refused = 0;
    if (n > sizeof x) fail("internal error: message too long");
    for (size_t i = 0; i < mac_at; i++)
        for (size_t f = 0; f < sizeof flips; f++) {
            memcpy(x, m, n);
            x[i] ^= flips[f];
            mac1(spub, x, mac_at, mac);
            if (CRYPTO_memcmp(mac, x + mac_at, 16) == 0) fail("[%s] %s: mac1 still verifies with byte %zu ^ %02x", case_name, what, i, flips[f]);
            refused++;
            if (i < from) continue; /* the type and indices: mac1 alone covers them */
            memcpy(x + mac_at, mac, 16);
            Noise s = *before;
            int read = key2 ? read_message2(&s, key1, key2, psk, x) : read_message1(&s, key1, x, rs, ts);
            if (read) fail("[%s] %s with byte %zu ^ %02x (mac1 recomputed) is still read", case_name, what, i, flips[f]);
        }
    return refused;
}

/* One case: see the comment at the top of the file. */
static void check_case(const Section *c) {
    int psk;
    if (strcmp(c->name, "ik") == 0)
        psk = 0;
    else if (strcmp(c->name, "ikpsk2") == 0)
        psk = 1;
    else
        fail("line %d: unknown case [%s] (expected [ik] or [ikpsk2])", c->line, c->name);
    const unsigned char *a_s = value_of(c, "agent_static_private", KEY_LEN);
    const unsigned char *a_spub = value_of(c, "agent_static_public", KEY_LEN);
    const unsigned char *c_s = value_of(c, "collector_static_private", KEY_LEN);
    const unsigned char *c_spub = value_of(c, "collector_static_public", KEY_LEN);
    const unsigned char *a_e = value_of(c, "agent_ephemeral_private", KEY_LEN);
    const unsigned char *c_e = value_of(c, "collector_ephemeral_private", KEY_LEN);
    const unsigned char *ts = value_of(c, "timestamp", 12);
    const unsigned char *a_idx = value_of(c, "agent_index", 4);
    const unsigned char *c_idx = value_of(c, "collector_index", 4);
    const unsigned char *init = value_of(c, "initiation", INITIATION_LEN);
    const unsigned char *resp = value_of(c, "response", RESPONSE_LEN);
    const unsigned char *hh = value_of(c, "handshake_hash", HASH_LEN);
    const unsigned char *a_send = value_of(c, "agent_send_key", KEY_LEN);
    const unsigned char *c_send = value_of(c, "collector_send_key", KEY_LEN);
    const Entry *pe = find(c, "psk");
    const unsigned char *pskv = NULL;
    if (psk) {
        if (pe->none || pe->n != KEY_LEN) fail("[%s] line %d: psk must be 32 bytes", c->name, pe->line);
        pskv = pe->bytes;
    } else if (!pe->none) {
        fail("[%s] line %d: psk must be - (IK has none)", c->name, pe->line);
    }

    /* 1. Static keys. */
    unsigned char pub[KEY_LEN];
    x25519_public(a_s, pub);
    expect_equal(c, "agent_static_public", a_spub, pub, KEY_LEN, "X25519(agent_static_private)");
    x25519_public(c_s, pub);
    expect_equal(c, "collector_static_public", c_spub, pub, KEY_LEN, "X25519(collector_static_private)");

    /* 2. The agent builds the initiation: -> e, es, s, ss (payload: the timestamp). */
    Noise agent;
    noise_init(&agent, psk, c_spub);
    unsigned char mine[INITIATION_LEN] = {INITIATION_BYTE0};
    put_u32(mine + 1, a_idx);
    x25519_public(a_e, mine + 5);
    token_e(&agent, mine + 5);
    build_dh(&agent, a_e, c_spub); /* es */
    encrypt_and_hash(&agent, a_spub, KEY_LEN, mine + 37);
    build_dh(&agent, a_s, c_spub); /* ss */
    encrypt_and_hash(&agent, ts, 12, mine + 85);
    mac1(c_spub, mine, 113, mine + 113); /* mac2 (129 ..< 145): zero, no cookie */

    /* 3. The collector reads the file's initiation (mac1 first, rule 1), then builds the
     * response; the agent's initiation must equal the file's. */
    unsigned char m[16], rs[KEY_LEN], rts[12];
    if (init[0] != INITIATION_BYTE0) fail("[%s] initiation: byte 0 is %02x, not 0x%02x", c->name, init[0], INITIATION_BYTE0);
    mac1(c_spub, init, 113, m);
    if (CRYPTO_memcmp(m, init + 113, 16) != 0) fail("[%s] initiation: mac1 is wrong", c->name);
    if (memcmp(init + 129, zero16, 16) != 0) fail("[%s] initiation: mac2 is not zero (no cookie)", c->name);
    Noise coll, coll0;
    noise_init(&coll0, psk, c_spub);
    coll = coll0;
    if (!read_message1(&coll, c_s, init, rs, rts)) fail("[%s] initiation: Noise message 1 does not decrypt", c->name);
    expect_equal(c, "agent_static_public", a_spub, rs, KEY_LEN, "the static key decrypted from the initiation");
    expect_equal(c, "timestamp", ts, rts, 12, "the timestamp decrypted from the initiation");
    const unsigned char *re = init + 5;
    if (memcmp(init + 1, a_idx, 4) != 0) fail("[%s] initiation: sender index is not agent_index", c->name);
    expect_equal(c, "initiation", init, mine, INITIATION_LEN, "the initiation built by the agent");

    /* <- e, ee, se (, psk); empty payload. */
    unsigned char rmine[RESPONSE_LEN] = {RESPONSE_BYTE0};
    put_u32(rmine + 1, c_idx);
    memcpy(rmine + 5, init + 1, 4); /* receiver index: the initiation's sender index */
    x25519_public(c_e, rmine + 9);
    token_e(&coll, rmine + 9);
    build_dh(&coll, c_e, re); /* ee */
    build_dh(&coll, c_e, rs); /* se */
    if (psk) mix_key_and_hash(&coll, pskv, KEY_LEN);
    encrypt_and_hash(&coll, NULL, 0, rmine + 41);
    mac1(a_spub, rmine, 57, rmine + 57); /* mac2 (73 ..< 89): zero */

    /* 4. The agent reads the file's response (length, receiver index, mac1, then message 2,
     * as handshake.md orders it); the collector's response must equal the file's. */
    if (resp[0] != RESPONSE_BYTE0) fail("[%s] response: byte 0 is %02x, not 0x%02x", c->name, resp[0], RESPONSE_BYTE0);
    if (memcmp(resp + 5, a_idx, 4) != 0) fail("[%s] response: receiver index is not the initiation's sender index", c->name);
    mac1(a_spub, resp, 57, m);
    if (CRYPTO_memcmp(m, resp + 57, 16) != 0) fail("[%s] response: mac1 is wrong", c->name);
    if (memcmp(resp + 73, zero16, 16) != 0) fail("[%s] response: mac2 is not zero", c->name);
    if (memcmp(resp + 1, c_idx, 4) != 0) fail("[%s] response: sender index is not collector_index", c->name);
    Noise agent1 = agent; /* after message 1 */
    if (!read_message2(&agent, a_e, a_s, pskv, resp)) fail("[%s] response: Noise message 2 does not decrypt", c->name);
    expect_equal(c, "response", resp, rmine, RESPONSE_LEN, "the response built by the collector");

    /* 5. Handshake hash and transport keys, on both sides. */
    expect_equal(c, "handshake_hash", hh, agent.h, HASH_LEN, "the agent's handshake hash");
    expect_equal(c, "handshake_hash", hh, coll.h, HASH_LEN, "the collector's handshake hash");
    unsigned char ak1[KEY_LEN], ak2[KEY_LEN], ck1[KEY_LEN], ck2[KEY_LEN];
    split(&agent, ak1, ak2);
    split(&coll, ck1, ck2);
    expect_equal(c, "agent_send_key", a_send, ak1, KEY_LEN, "the agent's first Split() key");
    expect_equal(c, "agent_send_key", a_send, ck1, KEY_LEN, "the collector's first Split() key (its receiving key)");
    expect_equal(c, "collector_send_key", c_send, ak2, KEY_LEN, "the agent's second Split() key (its receiving key)");
    expect_equal(c, "collector_send_key", c_send, ck2, KEY_LEN, "the collector's second Split() key");

    /* Corrupted messages (one byte changed, mac1 recomputed or not) are refused. */
    size_t bad_init = corrupt_message(c->name, "initiation", init, INITIATION_LEN, 5, 113, c_spub, &coll0, c_s, NULL, NULL);
    size_t bad_resp = corrupt_message(c->name, "response", resp, RESPONSE_LEN, 9, 57, a_spub, &agent1, a_e, a_s, pskv);

    /* 6. The sealed DATA datagram, agent -> collector (SPEC.md §6.3, §6.4). */
    const Entry *plain = find(c, "data_plain"), *sealed = find(c, "data_sealed");
    if (plain->none || plain->n <= DATA_HEADER) fail("[%s] line %d: data_plain is not a header and a symbol", c->name, plain->line);
    if (sealed->none || sealed->n != plain->n + AEAD_TAG)
        fail("[%s] line %d: data_sealed is not data_plain's length + 16", c->name, sealed->line);
    const unsigned char *d = sealed->bytes;
    size_t n = sealed->n, s = n - DATA_HEADER - AEAD_TAG;
    if (n <= DATA_HEADER + AEAD_TAG || n > MAX_DATAGRAM) fail("[%s] data_sealed: %zu bytes breaks the length rule of §6.5", c->name, n);
    if (d[0] != DATA_BYTE0) fail("[%s] data_sealed: byte 0 is %02x, not 0x%02x (version 2, DATA)", c->name, d[0], DATA_BYTE0);
    {
        /* §6.5 rule 4 on the 23-byte header: bundle id (13), block b (17), symbol index (18),
           bundle length L (19); N = ceil(L / S), B = ceil(N / 64), b < B. */
        uint64_t L = (uint64_t)d[19] << 24 | (uint64_t)d[20] << 16 | (uint64_t)d[21] << 8 | d[22];
        if (L == 0) fail("[%s] data_sealed: bundle length 0 (inconsistentLayout)", c->name);
        uint64_t nsym = (L + s - 1) / s, blocks = (nsym + 63) / 64;
        if (blocks > 255) fail("[%s] data_sealed: the bundle needs %llu blocks (windowTooLarge)", c->name, (unsigned long long)blocks);
        if (d[17] >= blocks) fail("[%s] data_sealed: block %u of %llu (inconsistentLayout)", c->name, d[17], (unsigned long long)blocks);
    }
    if (memcmp(d + 1, c_idx, 4) != 0) fail("[%s] data_sealed: connection id is not collector_index (the receiver's index)", c->name);
    expect_equal(c, "data_sealed", plain->bytes, d, DATA_HEADER, "the header of data_sealed (vs data_plain)");
    unsigned char nonce[12] = {0};
    memcpy(nonce + 4, d + 5, 8); /* the packet number, big-endian as in the header */
    unsigned char *sym = malloc(s + AEAD_TAG), *again = malloc(n);
    if (!sym || !again) fail("out of memory");
    if (!aead_open(ck1, nonce, d, DATA_HEADER, d + DATA_HEADER, s + AEAD_TAG, sym))
        fail("[%s] data_sealed does not open with the collector's receiving key", c->name);
    expect_equal(c, "data_plain", plain->bytes + DATA_HEADER, sym, s, "the symbol opened from data_sealed");
    memcpy(again, d, DATA_HEADER);
    aead_seal(a_send, nonce, d, DATA_HEADER, plain->bytes + DATA_HEADER, s, again + DATA_HEADER);
    expect_equal(c, "data_sealed", d, again, n, "data_plain sealed with agent_send_key");
    /* Every single-byte change (header, symbol, tag) must fail to open. */
    size_t refused = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t f = 0; f < sizeof flips; f++) {
            memcpy(again, d, n);
            again[i] ^= flips[f];
            unsigned char nn[12] = {0};
            memcpy(nn + 4, again + 5, 8);
            if (aead_open(ck1, nn, again, DATA_HEADER, again + DATA_HEADER, s + AEAD_TAG, sym))
                fail("[%s] data_sealed with byte %zu ^ %02x still opens", c->name, i, flips[f]);
            refused++;
        }
    /* Opening with the other direction's key must fail too. */
    if (aead_open(ck2, nonce, d, DATA_HEADER, d + DATA_HEADER, s + AEAD_TAG, sym))
        fail("[%s] data_sealed opens with the collector's sending key", c->name);
    free(sym);
    free(again);
    OPENSSL_cleanse(&agent, sizeof agent);
    OPENSSL_cleanse(&coll, sizeof coll);

    printf("ok   [%s] %s: initiation (%d bytes) and response (%d bytes) rebuilt byte for byte (mac1 included) and read "
           "on both sides, their %zu + %zu one-byte changes refused (by mac1, and by Noise with mac1 recomputed); handshake hash and "
           "Split() keys match; data_sealed (%zu bytes, pn %02x%02x%02x%02x%02x%02x%02x%02x) opens to data_plain's "
           "%zu-byte symbol and seals back, its %zu one-byte changes do not open\n",
           c->name, psk ? "Noise_IKpsk2_25519_ChaChaPoly_SHA256" : "Noise_IK_25519_ChaChaPoly_SHA256", INITIATION_LEN,
           RESPONSE_LEN, bad_init, bad_resp, n, d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], s, refused);
}

int cmd_handshake_vectors(const char *path) {
    input = path;
    parse_file(path, NULL);
    for (size_t i = 0; i < nsections; i++) check_case(&sections[i]);
    printf("handshake-vectors: %zu cases verified\n", nsections);
    free_file();
    return 0;
}

/* ---------------------------------------------------------------- CONTROL datagrams (§11.1, §11.2) */

/* Text built in memory: a CONTROL datagram's lines are printed only once all its frames
 * parsed (a malformed frame refuses the whole payload), and a file's output only once
 * every section was read (an ill-formed file prints nothing but its error). */
typedef struct {
    char *p;
    size_t n, cap;
} Text;

static void text_add(Text *t, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0) fail("internal error: vsnprintf failed");
    if (t->n + (size_t)len + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (t->n + (size_t)len + 1 > cap) cap *= 2;
        char *p = realloc(t->p, cap);
        if (!p) fail("out of memory");
        t->p = p;
        t->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(t->p + t->n, (size_t)len + 1, fmt, ap);
    va_end(ap);
    t->n += (size_t)len;
}

static void text_append(Text *t, const Text *u) {
    if (u->n) text_add(t, "%.*s", (int)u->n, u->p);
}

/* What a receiver makes of one datagram (the word after `refused: `, or frames). */
typedef enum { RX_FRAMES, RX_MALFORMED, RX_UNAUTHENTICATED, RX_TRUNCATED, RX_TOO_LONG, RX_NOT_CONTROL, RX_KINDS } Rx;
static const char *const rx_name[RX_KINDS] = {"frames", "malformed", "unauthenticated", "truncated", "too long", "not control"};

typedef struct {
    const unsigned char *p;
    size_t n, at;
} Reader;

/* A varint (SPEC.md conventions: unsigned LEB128 as protobuf writes it; minimal or not) of
 * at most 10 bytes whose value fits 64 bits; 0 when the payload ends inside it, it is
 * longer, or its 10th byte sets a bit beyond the 64th (§11.2 does not say; read as §6.5
 * reads the directory: "a varint longer than 10 bytes or above its range" is malformed). */
static int rd_varint(Reader *r, uint64_t *v) {
    uint64_t x = 0;
    for (int i = 0; i < 10; i++) {
        if (r->at >= r->n) return 0;
        unsigned b = r->p[r->at++];
        if (i == 9 && (b & 0x7f) > 1) return 0;
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = x;
            return 1;
        }
    }
    return 0;
}

/* A u32 field: a varint that MUST fit 32 bits (§11.2). */
static int rd_u32(Reader *r, uint32_t *v) {
    uint64_t x;
    if (!rd_varint(r, &x) || x > UINT32_MAX) return 0;
    *v = (uint32_t)x;
    return 1;
}

/* The frames of a CONTROL payload (§11.2), one text line each appended to `t`: the number
 * of frames, or -1 when any frame is malformed (unknown type, truncated, a value above its
 * range or limit, an ACK range below packet 0), which refuses the whole payload. Field
 * widths: stream, seq, highest, base, bundle are u32 (§3, §6.2); largest, ack_delay and
 * the ACK range fields are u64 like packet numbers (§6.3); earlier is u64 (§11.2). */
static long parse_frames(const unsigned char *p, size_t n, Text *t) {
    Reader r = {p, n, 0};
    long frames = 0;
    while (r.at < r.n) {
        unsigned type = r.p[r.at++];
        uint32_t a, b, c;
        uint64_t x, y, z;
        unsigned reason;
        switch (type) {
        case 1: { /* ACK: largest, ack_delay, range_count - 1, first_range, (gap, range)... */
            uint64_t largest, delay, more, first;
            if (!rd_varint(&r, &largest) || !rd_varint(&r, &delay) || !rd_varint(&r, &more) || more > MAX_ACK_RANGES - 1 ||
                !rd_varint(&r, &first) || first > largest)
                return -1;
            uint64_t hi = largest, lo = largest - first;
            text_add(t, "ack largest %" PRIu64 " ack_delay_us %" PRIu64 " ranges %" PRIu64 "-%" PRIu64, largest, delay, lo, hi);
            for (uint64_t i = 0; i < more; i++) {
                /* ends gap + 2 below the previous range's smallest, covers range + 1 numbers */
                if (!rd_varint(&r, &x) || !rd_varint(&r, &y) || lo < 2 || x > lo - 2) return -1;
                hi = lo - x - 2;
                if (y > hi) return -1;
                lo = hi - y;
                text_add(t, " %" PRIu64 "-%" PRIu64, lo, hi);
            }
            text_add(t, "\n");
            break;
        }
        case 2: /* DECODED: stream, highest, earlier (u64) */
            if (!rd_u32(&r, &a) || !rd_u32(&r, &b) || !rd_varint(&r, &z)) return -1;
            text_add(t, "decoded stream %" PRIu32 " highest %" PRIu32 " earlier %016" PRIx64 "\n", a, b, z);
            break;
        case 3: /* DURABLE: stream, seq */
            if (!rd_u32(&r, &a) || !rd_u32(&r, &b)) return -1;
            text_add(t, "durable stream %" PRIu32 " seq %" PRIu32 "\n", a, b);
            break;
        case 4: /* MISSING: bundle, n, n x lacking (0-64); n blocks of a bundle, at most MAX_BLOCKS */
            if (!rd_u32(&r, &a) || !rd_varint(&r, &x) || x > MAX_BLOCKS) return -1;
            text_add(t, "missing bundle %" PRIu32 " lacking ", a);
            for (uint64_t i = 0; i < x; i++) {
                if (!rd_varint(&r, &y) || y > MAX_LACKING) return -1;
                text_add(t, i ? " %" PRIu64 : "%" PRIu64, y);
            }
            text_add(t, "\n");
            break;
        case 5: /* REJECTED: stream, seq, reason (1 byte), base */
            if (!rd_u32(&r, &a) || !rd_u32(&r, &b) || r.at >= r.n) return -1;
            reason = r.p[r.at++];
            if (!rd_u32(&r, &c)) return -1;
            text_add(t, "rejected stream %" PRIu32 " seq %" PRIu32 " reason %u base %" PRIu32 "\n", a, b, reason, c);
            break;
        case 6: /* KEEPALIVE */
            text_add(t, "keepalive\n");
            break;
        case 7: { /* REPORT: srtt, rttvar, min_rtt, interval (us), loss (ppm, u32 <= 1000000), sent, repaired, lost, repair bytes */
            uint64_t f[9];
            for (int i = 0; i < 9; i++)
                if (!rd_varint(&r, &f[i])) return -1;
            if (f[4] > 1000000) return -1;
            text_add(t, "report srtt_us %" PRIu64 " rttvar_us %" PRIu64 " min_rtt_us %" PRIu64 " interval_us %" PRIu64 " loss_ppm %" PRIu64
                        " windows_sent %" PRIu64 " windows_repaired %" PRIu64 " windows_lost %" PRIu64 " repair_bytes %" PRIu64 "\n",
                     f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8]);
            break;
        }
        case 8: /* PACE: interval_ms (u32; 0 lifts the request) */
            if (!rd_u32(&r, &a)) return -1;
            text_add(t, "pace interval_ms %" PRIu32 "\n", a);
            break;
        default: /* 0, 9-255: an unknown type rejects the payload */
            return -1;
        }
        frames++;
    }
    return frames;
}

/* The nonce of a sealed datagram (§6.4): 4 zero bytes ‖ the packet number of its header
 * (bytes 5-12, big-endian) as it stands. */
static void datagram_nonce(const unsigned char *d, unsigned char nonce[12]) {
    memset(nonce, 0, 4);
    memcpy(nonce + 4, d + 5, 8);
}

/* What a receiver holding the sender's transport key makes of CONTROL datagram d (n bytes),
 * as the lines of control-1.expected.txt, appended to `out`; in this order (§10.2, §11.1):
 * fewer than 13 + 1 + 16 bytes (no frame): truncated; more than MAX_DATAGRAM's upper
 * bound: too long; byte 0 not 0x25: not control; the tag does not verify under `key`
 * (nonce and associated data as §6.4 and §11.1 say): unauthenticated; the frames do not
 * parse: malformed. The replay window (§11.1) does not apply: the vectors are independent.
 * When `plain` is given and the datagram opens, *plain gets its payload (caller frees). */
static Rx receive_control(const char *name, const unsigned char *d, size_t n, const unsigned char key[KEY_LEN], Text *out,
                          unsigned char **plain, size_t *nplain) {
    if (n < CONTROL_HEADER + 1 + AEAD_TAG) {
        text_add(out, "[%s] refused: truncated\n", name);
        return RX_TRUNCATED;
    }
    if (n > MAX_DATAGRAM) {
        text_add(out, "[%s] refused: too long\n", name);
        return RX_TOO_LONG;
    }
    if (d[0] != CONTROL_BYTE0) {
        text_add(out, "[%s] refused: not control\n", name);
        return RX_NOT_CONTROL;
    }
    uint32_t connection = 0;
    uint64_t pn = 0;
    for (int i = 1; i < 5; i++) connection = connection << 8 | d[i];
    for (int i = 5; i < 13; i++) pn = pn << 8 | d[i];
    text_add(out, "[%s] connection %08" PRIx32 " packet %" PRIu64, name, connection, pn);
    unsigned char nonce[12];
    datagram_nonce(d, nonce);
    size_t m = n - CONTROL_HEADER - AEAD_TAG;
    unsigned char *p = malloc(m);
    if (!p) fail("out of memory");
    if (!aead_open(key, nonce, d, CONTROL_HEADER, d + CONTROL_HEADER, m + AEAD_TAG, p)) {
        free(p);
        text_add(out, " refused: unauthenticated\n");
        return RX_UNAUTHENTICATED;
    }
    Text frames = {0};
    long count = parse_frames(p, m, &frames);
    Rx rx = count < 0 ? RX_MALFORMED : RX_FRAMES;
    if (count < 0) {
        text_add(out, " refused: malformed\n");
    } else {
        text_add(out, " frames %ld\n", count);
        text_append(out, &frames);
    }
    free(frames.p);
    if (plain) {
        *plain = p;
        *nplain = m;
    } else {
        free(p);
    }
    return rx;
}

/* A section of a CONTROL vector file: from (agent|collector), key (32 bytes), datagram,
 * and optionally payload (the plaintext of the frames: checked against what the datagram
 * opens to, when it does); nothing else. */
typedef struct {
    const char *name;
    const unsigned char *key, *datagram, *payload;
    size_t n, npayload;
    int payload_line;
} ControlCase;

static const char *const control_text_fields[] = {"from", NULL};

static void load_control(const char *path, ControlCase **cases) {
    input = path;
    parse_file(path, control_text_fields);
    ControlCase *cs = calloc(nsections, sizeof *cs);
    if (!cs) fail("out of memory");
    for (size_t i = 0; i < nsections; i++) {
        const Section *s = &sections[i];
        for (size_t j = 0; j < s->nentry; j++) {
            const char *e = s->entry[j].name;
            if (strcmp(e, "from") && strcmp(e, "key") && strcmp(e, "payload") && strcmp(e, "datagram"))
                fail("[%s] line %d: unknown field %s (expected from, key, payload, datagram)", s->name, s->entry[j].line, e);
        }
        const Entry *from = find(s, "from");
        if (!from->text || (strcmp(from->text, "agent") && strcmp(from->text, "collector")))
            fail("[%s] line %d: from must be agent or collector", s->name, from->line);
        cs[i].name = s->name;
        cs[i].key = value_of(s, "key", KEY_LEN);
        const Entry *d = find(s, "datagram");
        if (d->none) fail("[%s] line %d: datagram must be hex", s->name, d->line);
        cs[i].datagram = d->bytes;
        cs[i].n = d->n;
        for (size_t j = 0; j < s->nentry; j++)
            if (strcmp(s->entry[j].name, "payload") == 0) {
                if (s->entry[j].none) fail("[%s] line %d: payload must be hex", s->name, s->entry[j].line);
                cs[i].payload = s->entry[j].bytes;
                cs[i].npayload = s->entry[j].n;
                cs[i].payload_line = s->entry[j].line;
            }
    }
    *cases = cs;
}

int cmd_control(const char *path) {
    ControlCase *cs;
    load_control(path, &cs);
    Text out = {0};
    for (size_t i = 0; i < nsections; i++) {
        unsigned char *p = NULL;
        size_t m = 0;
        Rx rx = receive_control(cs[i].name, cs[i].datagram, cs[i].n, cs[i].key, &out, &p, &m);
        if ((rx == RX_FRAMES || rx == RX_MALFORMED) && cs[i].payload &&
            (m != cs[i].npayload || memcmp(p, cs[i].payload, m) != 0)) {
            free(p);
            fail("[%s] line %d: the datagram opens to other bytes than payload", cs[i].name, cs[i].payload_line);
        }
        free(p);
    }
    fwrite(out.p, 1, out.n, stdout);
    free(out.p);
    free(cs);
    free_file();
    return fflush(stdout) == 0 ? 0 : 1;
}

/* ---------------------------------------------------------------- sweep control */

/* One variant in a child process (stdout and stderr to /dev/null, 20 s limit): its Rx, or
 * -1 when it crashed (a signal, a sanitizer report, any other exit). */
static int control_trial(const char *name, const unsigned char *d, size_t n, const unsigned char key[KEY_LEN]) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) fail("fork failed");
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        alarm(20);
        Text out = {0};
        Rx rx = receive_control(name, d, n, key, &out, NULL, NULL);
        fwrite(out.p, 1, out.n, stdout);
        fflush(stdout);
        free(out.p);
        _exit(10 + (int)rx);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid) fail("waitpid failed");
    if (WIFEXITED(status) && WEXITSTATUS(status) >= 10 && WEXITSTATUS(status) < 10 + RX_KINDS) return WEXITSTATUS(status) - 10;
    return -1;
}

typedef struct {
    unsigned long variants, count[RX_KINDS], crashed, wrong;
} ControlSweep;

enum { WANT_ANY = -1, WANT_OPENS = -2 }; /* any Rx (but no crash); frames or malformed */

/* Runs one variant; `want` is the Rx it must give, or WANT_ANY, WANT_OPENS. */
static void control_variant(ControlSweep *sw, const ControlCase *c, const unsigned char *d, size_t n, int want,
                            const char *fmt, ...) {
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    int rx = control_trial(c->name, d, n, c->key);
    sw->variants++;
    if (rx < 0) {
        if (++sw->crashed + sw->wrong <= 20) printf("CRASH [%s] %s\n", c->name, what);
        return;
    }
    sw->count[rx]++;
    int ok = want == WANT_ANY || rx == want || (want == WANT_OPENS && (rx == RX_FRAMES || rx == RX_MALFORMED));
    if (!ok && ++sw->wrong + sw->crashed <= 20)
        printf("FAIL [%s] %s: %s, expected %s\n", c->name, what, rx_name[rx],
               want == WANT_OPENS ? "frames or malformed" : rx_name[want]);
}

/* x = the header of c's datagram ‖ payload q (len bytes) sealed under its key (x holds
 * MAX_DATAGRAM + 1 bytes). Returns x. */
static const unsigned char *reseal(const ControlCase *c, const unsigned char nonce[12], unsigned char *x, const unsigned char *q,
                                   size_t len) {
    if (CONTROL_HEADER + len + AEAD_TAG > MAX_DATAGRAM + 1) fail("[%s] payload too long to sweep", c->name);
    memcpy(x, c->datagram, CONTROL_HEADER);
    aead_seal(c->key, nonce, x, CONTROL_HEADER, q, len, x + CONTROL_HEADER);
    return x;
}

static const unsigned char control_changes[4][2] = {{0x01, 1}, {0x80, 1}, {0x00, 0}, {0xff, 0}}; /* xor 01, xor 80, := 00, := ff */

/* `sweep control FILE`: for each section's datagram, every truncation, one byte more and
 * every change of one byte to b^01, b^80, 00 and ff, each in a child process. Of a
 * datagram that authenticates, each must be refused: truncated below 30 bytes, not
 * control for byte 0, else unauthenticated (its tag no longer verifies). Then, since the
 * sweep holds the key, its payload is changed the same way (every truncation, one byte
 * more, every byte changed) and sealed again under its header: the frame parser must
 * decode or refuse (malformed) every such payload, never crash; and the unchanged payload
 * must seal to the datagram byte for byte; a zero byte appended to a payload that parsed
 * (frame type 0) must be malformed. Variants of a datagram that does not authenticate
 * (refused-tag, refused-header) need only not crash: one of them may undo the vector's
 * change and open. */
int cmd_control_sweep(const char *path) {
    ControlCase *cs;
    load_control(path, &cs);
    ControlSweep dg = {0}, pl = {0};
    for (size_t i = 0; i < nsections; i++) {
        const ControlCase *c = &cs[i];
        size_t n = c->n;
        Text ignored = {0};
        unsigned char *p = NULL;
        size_t m = 0;
        Rx rx = receive_control(c->name, c->datagram, n, c->key, &ignored, &p, &m);
        free(ignored.p);
        int opens = rx == RX_FRAMES || rx == RX_MALFORMED;
        unsigned char *x = malloc(n + 1 > MAX_DATAGRAM + 1 ? n + 1 : MAX_DATAGRAM + 1);
        if (!x) fail("out of memory");
        for (size_t cut = 0; cut < n; cut++) {
            int want = !opens ? WANT_ANY : cut < CONTROL_HEADER + 1 + AEAD_TAG ? RX_TRUNCATED : RX_UNAUTHENTICATED;
            control_variant(&dg, c, c->datagram, cut, want, "datagram cut to %zu bytes", cut);
        }
        memcpy(x, c->datagram, n);
        x[n] = 0;
        control_variant(&dg, c, x, n + 1, !opens ? WANT_ANY : n + 1 > MAX_DATAGRAM ? RX_TOO_LONG : RX_UNAUTHENTICATED,
                        "datagram with a zero byte appended");
        for (size_t at = 0; at < n; at++)
            for (int k = 0; k < 4; k++) {
                unsigned v = control_changes[k][1] ? c->datagram[at] ^ control_changes[k][0] : control_changes[k][0];
                if (v == c->datagram[at]) continue;
                memcpy(x, c->datagram, n);
                x[at] = (unsigned char)v;
                control_variant(&dg, c, x, n, !opens ? WANT_ANY : at == 0 ? RX_NOT_CONTROL : RX_UNAUTHENTICATED,
                                "datagram byte %zu := 0x%02x", at, v);
            }
        if (opens) {
            /* The payload, changed and sealed again under the datagram's header. */
            unsigned char nonce[12], *q = malloc(m + 1);
            if (!q) fail("out of memory");
            datagram_nonce(c->datagram, nonce);
            memcpy(x, c->datagram, CONTROL_HEADER);
            aead_seal(c->key, nonce, x, CONTROL_HEADER, p, m, x + CONTROL_HEADER);
            if (memcmp(x, c->datagram, n) != 0) fail("[%s] its payload sealed again under key is not the datagram", c->name);
            for (size_t len = 0; len < m; len++)
                control_variant(&pl, c, reseal(c, nonce, x, p, len), CONTROL_HEADER + len + AEAD_TAG,
                                len == 0 ? RX_TRUNCATED : WANT_OPENS, "payload cut to %zu bytes, sealed again", len);
            memcpy(q, p, m);
            q[m] = 0; /* after whole frames, frame type 0 (unknown); it may complete a truncated frame */
            int want = CONTROL_HEADER + m + 1 + AEAD_TAG > MAX_DATAGRAM ? RX_TOO_LONG : rx == RX_FRAMES ? RX_MALFORMED : WANT_OPENS;
            control_variant(&pl, c, reseal(c, nonce, x, q, m + 1), CONTROL_HEADER + m + 1 + AEAD_TAG, want,
                            "payload with a zero byte appended, sealed again");
            for (size_t at = 0; at < m; at++)
                for (int k = 0; k < 4; k++) {
                    unsigned v = control_changes[k][1] ? p[at] ^ control_changes[k][0] : control_changes[k][0];
                    if (v == p[at]) continue;
                    memcpy(q, p, m);
                    q[at] = (unsigned char)v;
                    control_variant(&pl, c, reseal(c, nonce, x, q, m), n, WANT_OPENS,
                                    "payload byte %zu := 0x%02x, sealed again", at, v);
                }
            free(q);
        }
        free(x);
        free(p);
    }
    printf("sweep %s: %lu datagram variants (%lu truncated, %lu not control, %lu unauthenticated, %lu opened: "
           "a vector's own change undone), %lu payload variants sealed again (%lu decoded, "
           "%lu malformed, %lu empty: truncated); %lu crashed, %lu refused otherwise than required\n",
           path, dg.variants, dg.count[RX_TRUNCATED], dg.count[RX_NOT_CONTROL], dg.count[RX_UNAUTHENTICATED],
           dg.count[RX_FRAMES] + dg.count[RX_MALFORMED], pl.variants, pl.count[RX_FRAMES], pl.count[RX_MALFORMED],
           pl.count[RX_TRUNCATED], dg.crashed + pl.crashed, dg.wrong + pl.wrong);
    free(cs);
    free_file();
    return dg.crashed + pl.crashed + dg.wrong + pl.wrong ? 1 : 0;
}

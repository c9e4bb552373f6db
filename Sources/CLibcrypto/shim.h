// ChaCha20-Poly1305 (RFC 8439) through OpenSSL's libcrypto EVP interface, for the DATA and
// CONTROL datagrams of a session (Protocol/SPEC.md §6.4, §10.8). Everything is static inline
// so a seal or an open is one call from Swift into this header (a system-library target
// compiles no C files).
//
// A context is made once per key and direction (flamewire_aead_new), then each call only
// sets the nonce: 4 zero bytes ‖ the 64-bit packet number big-endian. An EVP_CIPHER_CTX is
// not thread-safe: the caller serialises calls on one context.
#ifndef FLAMEWIRE_CLIBCRYPTO_SHIM_H
#define FLAMEWIRE_CLIBCRYPTO_SHIM_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define FLAMEWIRE_AEAD_KEY_LENGTH 32
#define FLAMEWIRE_AEAD_TAG_LENGTH 16

/// A ChaCha20-Poly1305 context keyed with the 32 bytes at `key`, for sealing (`encrypt` 1)
/// or opening (0); NULL when libcrypto fails. Free it with flamewire_aead_free. The context
/// keeps its own copy of the key, which EVP_CIPHER_CTX_free cleanses.
static inline EVP_CIPHER_CTX *flamewire_aead_new(const unsigned char *key, int encrypt) {
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) return NULL;
    if (EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), NULL, key, NULL, encrypt ? 1 : 0) != 1) {
        EVP_CIPHER_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static inline void flamewire_aead_free(EVP_CIPHER_CTX *ctx) { EVP_CIPHER_CTX_free(ctx); }

/// Starts a message: nonce = 4 zero bytes ‖ `pn` big-endian, AAD `ad` (`adlen` bytes).
static inline int flamewire_aead_start(EVP_CIPHER_CTX *ctx, uint64_t pn, const unsigned char *ad, size_t adlen) {
    unsigned char nonce[12] = {0};
    for (int i = 0; i < 8; i++) nonce[4 + i] = (unsigned char)(pn >> (56 - 8 * i));
    if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, -1) != 1) return 0;
    if (adlen > 0) {
        int outl = 0;
        if (adlen > INT_MAX || EVP_CipherUpdate(ctx, NULL, &outl, ad, (int)adlen) != 1) return 0;
    }
    return 1;
}

/// XORs the key stream into `len` bytes at `p`, in place (encrypting or decrypting).
static inline int flamewire_aead_update(EVP_CIPHER_CTX *ctx, unsigned char *p, size_t len) {
    if (len == 0) return 1;
    int outl = 0;
    if (len > INT_MAX || EVP_CipherUpdate(ctx, p, &outl, p, (int)len) != 1) return 0;
    return (size_t)outl == len;
}

/// Encrypts `len` bytes at `p` in place, authenticating `ad`, and writes the 16-byte tag.
/// 1 on success, 0 when libcrypto fails (the payload is then undefined).
static inline int flamewire_aead_seal(EVP_CIPHER_CTX *ctx, uint64_t pn, const unsigned char *ad, size_t adlen,
                                      unsigned char *p, size_t len, unsigned char *tag) {
    unsigned char end[16];
    int outl = 0;
    if (!flamewire_aead_start(ctx, pn, ad, adlen)) return 0;
    if (!flamewire_aead_update(ctx, p, len)) return 0;
    if (EVP_CipherFinal_ex(ctx, end, &outl) != 1 || outl != 0) return 0;
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, FLAMEWIRE_AEAD_TAG_LENGTH, tag) == 1;
}

/// Verifies the 16-byte `tag` over `ad` and the ciphertext at `p`, decrypting `len` bytes
/// in place. 1 when authentic; 0 when not (or on a libcrypto failure), and then `p` holds
/// the ciphertext again: libcrypto decrypts before it can check the tag, so a failed open
/// applies the key stream a second time, which restores the input and leaves no
/// unauthenticated plaintext behind.
static inline int flamewire_aead_open(EVP_CIPHER_CTX *ctx, uint64_t pn, const unsigned char *ad, size_t adlen,
                                      unsigned char *p, size_t len, const unsigned char *tag) {
    unsigned char end[16];
    int outl = 0;
    if (!flamewire_aead_start(ctx, pn, ad, adlen)) return 0;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, FLAMEWIRE_AEAD_TAG_LENGTH, (void *)tag) != 1) return 0;
    if (!flamewire_aead_update(ctx, p, len)) return 0;
    if (EVP_CipherFinal_ex(ctx, end, &outl) == 1 && outl == 0) return 1;
    // Restore the ciphertext: the same nonce, the same key stream, XORed once more.
    if (flamewire_aead_start(ctx, pn, NULL, 0)) (void)flamewire_aead_update(ctx, p, len);
    return 0;
}

/// Verifies the 16-byte `tag` over `ad` and the `len` bytes of ciphertext at `in`, writing
/// the plaintext to `out` (which must not overlap `in`). 1 when authentic; 0 when not, and
/// then `out` holds unauthenticated bytes the caller must discard. The input is never
/// written, so a receiver can open a datagram it only borrows without copying it first.
static inline int flamewire_aead_open_into(EVP_CIPHER_CTX *ctx, uint64_t pn, const unsigned char *ad, size_t adlen,
                                           const unsigned char *in, unsigned char *out, size_t len,
                                           const unsigned char *tag) {
    unsigned char end[16];
    int outl = 0;
    if (!flamewire_aead_start(ctx, pn, ad, adlen)) return 0;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, FLAMEWIRE_AEAD_TAG_LENGTH, (void *)tag) != 1) return 0;
    if (len > 0) {
        if (len > INT_MAX || EVP_CipherUpdate(ctx, out, &outl, in, (int)len) != 1 || (size_t)outl != len) return 0;
    }
    outl = 0;
    return EVP_CipherFinal_ex(ctx, end, &outl) == 1 && outl == 0;
}

/// Zeroes `len` bytes at `p` in a way the compiler does not remove.
static inline void flamewire_cleanse(void *p, size_t len) {
    if (p != NULL && len > 0) OPENSSL_cleanse(p, len);
}

#endif

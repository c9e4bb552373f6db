#include "gf256.h"
#include <string.h>
#include <pthread.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FW_X86 1
#endif

static uint8_t gf_exp[512];
static uint8_t gf_log[256];
static uint8_t gf_mul_table[256][256];
static int kernel = -1;

static void init_tables(void) {
    unsigned x = 1;
    for (int i = 0; i < 255; i++) {
        gf_exp[i] = (uint8_t)x;
        gf_log[x] = (uint8_t)i;
        x <<= 1;
        if (x & 0x100) x ^= 0x11D;
    }
    for (int i = 255; i < 512; i++) gf_exp[i] = gf_exp[i - 255];
    for (int a = 0; a < 256; a++) {
        for (int b = 0; b < 256; b++) {
            gf_mul_table[a][b] = (a == 0 || b == 0) ? 0 : gf_exp[gf_log[a] + gf_log[b]];
        }
    }
    int k = 0;
#ifdef FW_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) k = 2;
    else if (__builtin_cpu_supports("ssse3")) k = 1;
#endif
    __atomic_store_n(&kernel, k, __ATOMIC_RELEASE);
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static inline void ensure_init(void) {
    if (__builtin_expect(__atomic_load_n(&kernel, __ATOMIC_ACQUIRE) < 0, 0)) pthread_once(&init_once, init_tables);
}

uint8_t fw_gf_mul(uint8_t a, uint8_t b) {
    ensure_init();
    return gf_mul_table[a][b];
}

uint8_t fw_gf_inv(uint8_t a) {
    ensure_init();
    if (a == 0) return 0;
    return gf_exp[255 - gf_log[a]];
}

int fw_gf_kernel(void) {
    ensure_init();
    return kernel;
}

int fw_gf_force_kernel(int k) {
    ensure_init();
#ifdef FW_X86
    if (k >= 2 && __builtin_cpu_supports("avx2")) kernel = 2;
    else if (k >= 1 && __builtin_cpu_supports("ssse3")) kernel = 1;
    else kernel = 0;
#else
    (void)k;
    kernel = 0;
#endif
    return kernel;
}

/* Portable: one 256-entry row of the multiplication table. */
static void mul_portable(uint8_t c, const uint8_t *src, uint8_t *dst, size_t n, int add) {
    const uint8_t *row = gf_mul_table[c];
    size_t i = 0;
    if (add) {
        for (; i + 4 <= n; i += 4) {
            dst[i] ^= row[src[i]];
            dst[i + 1] ^= row[src[i + 1]];
            dst[i + 2] ^= row[src[i + 2]];
            dst[i + 3] ^= row[src[i + 3]];
        }
        for (; i < n; i++) dst[i] ^= row[src[i]];
    } else {
        for (; i < n; i++) dst[i] = row[src[i]];
    }
}

#ifdef FW_X86
/* The product c*x is c*(x & 0x0f) ^ c*(x & 0xf0): two 16-entry tables, looked up with a shuffle. */
static void nibble_tables(uint8_t c, uint8_t lo[16], uint8_t hi[16]) {
    for (int i = 0; i < 16; i++) {
        lo[i] = gf_mul_table[c][i];
        hi[i] = gf_mul_table[c][i << 4];
    }
}

__attribute__((target("ssse3")))
static void mul_ssse3(uint8_t c, const uint8_t *src, uint8_t *dst, size_t n, int add) {
    uint8_t lo[16], hi[16];
    nibble_tables(c, lo, hi);
    const __m128i tlo = _mm_loadu_si128((const __m128i *)lo);
    const __m128i thi = _mm_loadu_si128((const __m128i *)hi);
    const __m128i mask = _mm_set1_epi8(0x0f);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(src + i));
        __m128i l = _mm_shuffle_epi8(tlo, _mm_and_si128(x, mask));
        __m128i h = _mm_shuffle_epi8(thi, _mm_and_si128(_mm_srli_epi64(x, 4), mask));
        __m128i p = _mm_xor_si128(l, h);
        if (add) p = _mm_xor_si128(p, _mm_loadu_si128((const __m128i *)(dst + i)));
        _mm_storeu_si128((__m128i *)(dst + i), p);
    }
    if (i < n) mul_portable(c, src + i, dst + i, n - i, add);
}

__attribute__((target("avx2")))
static void mul_avx2(uint8_t c, const uint8_t *src, uint8_t *dst, size_t n, int add) {
    uint8_t lo[16], hi[16];
    nibble_tables(c, lo, hi);
    const __m256i tlo = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)lo));
    const __m256i thi = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)hi));
    const __m256i mask = _mm256_set1_epi8(0x0f);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(src + i));
        __m256i l = _mm256_shuffle_epi8(tlo, _mm256_and_si256(x, mask));
        __m256i h = _mm256_shuffle_epi8(thi, _mm256_and_si256(_mm256_srli_epi64(x, 4), mask));
        __m256i p = _mm256_xor_si256(l, h);
        if (add) p = _mm256_xor_si256(p, _mm256_loadu_si256((const __m256i *)(dst + i)));
        _mm256_storeu_si256((__m256i *)(dst + i), p);
    }
    if (i < n) mul_ssse3(c, src + i, dst + i, n - i, add);
}
#endif

static void mul_dispatch(uint8_t c, const uint8_t *src, uint8_t *dst, size_t n, int add) {
    ensure_init();
    if (c == 0) {
        if (!add) memset(dst, 0, n);
        return;
    }
    if (c == 1) {
        if (add) {
            for (size_t i = 0; i < n; i++) dst[i] ^= src[i];
        } else if (dst != src) {
            memmove(dst, src, n);
        }
        return;
    }
#ifdef FW_X86
    if (kernel == 2) { mul_avx2(c, src, dst, n, add); return; }
    if (kernel == 1) { mul_ssse3(c, src, dst, n, add); return; }
#endif
    mul_portable(c, src, dst, n, add);
}

void fw_gf_mul_add(uint8_t c, const uint8_t *src, uint8_t *dst, size_t n) { mul_dispatch(c, src, dst, n, 1); }
void fw_gf_mul_set(uint8_t c, const uint8_t *src, uint8_t *dst, size_t n) { mul_dispatch(c, src, dst, n, 0); }

/*
 * GF(2^8) bulk kernels for FlameWire's Reed–Solomon code.
 *
 * Field: polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D), generator 2, as in the wire
 * specification (Protocol/SPEC.md). The kernels multiply a whole symbol by one field
 * constant; they use the split-nibble method (two 16-entry tables and a byte shuffle)
 * with AVX2 or SSSE3 when the CPU has them, else a 256-entry table per constant.
 */
#ifndef FLAMEWIRE_GF256_H
#define FLAMEWIRE_GF256_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Multiplies two field elements. */
uint8_t fw_gf_mul(uint8_t a, uint8_t b);
/* Multiplicative inverse; fw_gf_inv(0) returns 0 (0 has no inverse). */
uint8_t fw_gf_inv(uint8_t a);
/* dst[i] ^= c * src[i] for i < n. */
void fw_gf_mul_add(uint8_t c, const uint8_t *src, uint8_t *dst, size_t n);
/* dst[i] = c * src[i] for i < n. */
void fw_gf_mul_set(uint8_t c, const uint8_t *src, uint8_t *dst, size_t n);
/* Which kernel runs: 2 = AVX2, 1 = SSSE3, 0 = portable tables. */
int fw_gf_kernel(void);
/* Forces a kernel (for tests and benchmarks); returns the kernel now in use. */
int fw_gf_force_kernel(int kernel);

#ifdef __cplusplus
}
#endif
#endif

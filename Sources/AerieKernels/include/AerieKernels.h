// AerieKernels: the scoring engine's row-block kernels in C, so that one binary runs the
// AVX2/FMA/F16C/POPCNT instructions where the CPU has them and a portable path elsewhere.
//
// Swift's default x86-64 target has no half-precision conversion or popcount instruction, and
// Swift cannot compile one function for a wider target; C can (`__attribute__((target))`), and
// the choice is made once at run time with `__builtin_cpu_supports`.
//
// Every function scores `count` rows that start at `rows` and lie `row_bytes` apart against one
// query, writing one value per row to `out`. Slow twins: AerieIndex's Swift kernels (tests).
#ifndef AERIE_KERNELS_H
#define AERIE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when the AVX2/FMA/F16C/POPCNT paths are in use on this CPU, 0 for the portable ones.
int aerie_kernels_accelerated(void);

/// Forces the portable paths (1) or the detected ones (0); for tests comparing both.
void aerie_kernels_force_portable(int portable);

/// out[r] = Σ q[i]·row_r[i] over `dim` float32 components.
void aerie_f32_dot_rows(const float *q, const void *rows, size_t row_bytes, size_t count, size_t dim, float *out);

/// out[r] = Σ q[i]·widen(row_r[i]) over `dim` binary16 components (bit patterns).
void aerie_f16_dot_rows(const float *q, const void *rows, size_t row_bytes, size_t count, size_t dim, float *out);

/// out[r] = Σ (q[i]-widen(row_r[i]))² over `dim` binary16 components.
void aerie_f16_l2_rows(const float *q, const void *rows, size_t row_bytes, size_t count, size_t dim, float *out);

/// Widens `n` binary16 bit patterns to float32, exactly (infinities and NaNs included).
void aerie_f16_widen(const uint16_t *h, float *out, size_t n);

/// out[r] = popcount(q ^ row_r) over `words` 64-bit words.
void aerie_hamming_rows(const uint64_t *q, const void *rows, size_t row_bytes, size_t count, size_t words, uint32_t *out);

#ifdef __cplusplus
}
#endif

#endif

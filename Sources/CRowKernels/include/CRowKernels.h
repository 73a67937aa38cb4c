// CRowKernels: the scoring engine's row-block kernels in C, so that one binary runs the
// AVX2/FMA/F16C/POPCNT instructions where the CPU has them and a portable path elsewhere.
//
// Swift's default x86-64 target has no half-precision conversion or popcount instruction, and
// Swift cannot compile one function for a wider target; C can (`__attribute__((target))`), and
// the choice is made once at run time with `__builtin_cpu_supports` (batched Hamming search
// also has an AVX-512 VPOPCNTDQ path, chosen the same way).
//
// The `*_rows` functions score `count` rows that start at `rows` and lie `row_bytes` apart
// against one query, writing one value per row to `out`; `aerie_hamming_knn` selects the nearest
// rows for many queries at once. Slow twins: AerieIndex's Swift kernels (tests).
#ifndef AERIE_KERNELS_H
#define AERIE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when the AVX2/FMA/F16C/POPCNT paths are in use on this CPU, 0 for the portable ones.
int aerie_kernels_accelerated(void);

/// Forces the portable paths (1) or the detected ones (0) on the calling thread; for tests
/// comparing both (other threads, such as a concurrent search's, keep the detected paths).
void aerie_kernels_force_portable(int portable);

/// 1 when the batched Hamming search uses AVX-512 VPOPCNTDQ on this CPU (and is not forced off).
int aerie_kernels_avx512_popcount(void);

/// Keeps the batched Hamming search off its AVX-512 path (1) on the calling thread even where the
/// CPU has it, or lets it back on (0); for tests comparing that path with the AVX2 one.
void aerie_kernels_disable_avx512(int disable);

/// out[r] = Σ q[i]·row_r[i] over `dim` float32 components.
void aerie_f32_dot_rows(const float *q, const void *rows, size_t row_bytes, size_t count, size_t dim, float *out);

/// out[r] = Σ q[i]·widen(row_r[i]) over `dim` binary16 components (bit patterns).
void aerie_f16_dot_rows(const float *q, const void *rows, size_t row_bytes, size_t count, size_t dim, float *out);

/// out[r] = Σ (q[i]-widen(row_r[i]))² over `dim` binary16 components.
void aerie_f16_l2_rows(const float *q, const void *rows, size_t row_bytes, size_t count, size_t dim, float *out);

/// Widens `n` binary16 bit patterns to float32, exactly (infinities and NaNs included).
void aerie_f16_widen(const uint16_t *h, float *out, size_t n);

/// The `k` rows nearest in Hamming distance to each of `nq` queries, exactly, best first.
///
/// `queries` holds `nq` codes of `words` 64-bit words each, one after the other; the `count`
/// rows start at `rows`, `row_bytes` apart, and are numbered `first_id`, `first_id + 1`, ….
/// Query `j`'s results go to `out_dist[j*k ...]` and `out_ids[j*k ...]`, ordered by distance
/// and, for equal distances, by lower id (a total order, so the result is unique). Every query
/// gets the same number of results, min(k, count), which is returned.
///
/// The AVX-512 path holds 16 queries in registers, loads each row once per block of 16 and
/// reduces the 16 popcount vectors together (a few queries left over, or a single one, reduce
/// eight rows at a time instead); the others score one row against 4 queries with scalar
/// POPCNT. All keep a bounded max-heap per query and test each distance against its
/// root first, so heap work is rare.
size_t aerie_hamming_knn(const uint64_t *queries, size_t nq, size_t words,
                         const void *rows, size_t row_bytes, size_t count, int64_t first_id,
                         size_t k, uint32_t *out_dist, int64_t *out_ids);

#ifdef __cplusplus
}
#endif

#endif

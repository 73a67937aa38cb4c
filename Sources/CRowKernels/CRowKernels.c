// See include/CRowKernels.h. Two implementations of each kernel: `*_portable` (plain C that
// any x86-64 or arm64 compiler vectorises with its baseline) and, on x86-64, `*_avx2`, compiled
// for AVX2+FMA+F16C+POPCNT and used only when the CPU reports all four.
#include "CRowKernels.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define AERIE_X86 1
#include <immintrin.h>
#endif

// MARK: portable

static inline float half_to_float(uint16_t h) {
    // Exact for every pattern: zeros, subnormals, normals, infinities and NaNs.
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exponent = (h >> 10) & 0x1f;
    uint32_t mantissa = h & 0x3ff;
    uint32_t bits;
    if (exponent == 0x1f) {
        bits = sign | 0x7f800000u | (mantissa << 13);
    } else {
        // (exponent|mantissa) << 13 times 2^112 rebiases exactly, subnormals included.
        uint32_t magnitude = (uint32_t)(h & 0x7fff) << 13;
        float f;
        memcpy(&f, &magnitude, 4);
        f *= 0x1p112f;
        memcpy(&bits, &f, 4);
        bits |= sign;
    }
    float out;
    memcpy(&out, &bits, 4);
    return out;
}

static void f32_dot_rows_portable(const float *q, const void *rows, size_t row_bytes, size_t count, size_t dim, float *out) {
    for (size_t r = 0; r < count; r++) {
        const float *x = (const float *)((const char *)rows + r * row_bytes);
        float acc[8] = {0};
        size_t i = 0;
        for (; i + 8 <= dim; i += 8)
            for (int j = 0; j < 8; j++) acc[j] += q[i + j] * x[i + j];
        float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        for (; i < dim; i++) sum += q[i] * x[i];
        out[r] = sum;
    }
}

static void f16_widen_portable(const uint16_t *h, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = half_to_float(h[i]);
}

static void f16_dot_rows_portable(const float *q, const void *rows, size_t row_bytes, size_t count, size_t dim, float *out) {
    for (size_t r = 0; r < count; r++) {
        const uint16_t *x = (const uint16_t *)((const char *)rows + r * row_bytes);
        float sum = 0;
        for (size_t i = 0; i < dim; i++) sum += q[i] * half_to_float(x[i]);
        out[r] = sum;
    }
}

static void f16_l2_rows_portable(const float *q, const void *rows, size_t row_bytes, size_t count, size_t dim, float *out) {
    for (size_t r = 0; r < count; r++) {
        const uint16_t *x = (const uint16_t *)((const char *)rows + r * row_bytes);
        float sum = 0;
        for (size_t i = 0; i < dim; i++) {
            float d = q[i] - half_to_float(x[i]);
            sum += d * d;
        }
        out[r] = sum;
    }
}

// MARK: batched Hamming k-nearest (shared parts)

// Rows per block of the batched Hamming scan: 256 rows of 512 bits are 16 KiB, which stay in L1
// while every block of queries passes over them.
#define KNN_ROW_BLOCK 256

// True when (da, ia) ranks after (db, ib): larger distance, or equal distance and larger id.
static inline int knn_worse(uint32_t da, int64_t ia, uint32_t db, int64_t ib) {
    return da > db || (da == db && ia > ib);
}

// Places (d, id) at the root of a max-heap of `size` entries and sifts it down.
static inline void knn_sift_down(uint32_t *hd, int64_t *hi, size_t size, uint32_t d, int64_t id) {
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= size) break;
        if (child + 1 < size && knn_worse(hd[child + 1], hi[child + 1], hd[child], hi[child])) child++;
        if (!knn_worse(hd[child], hi[child], d, id)) break;
        hd[i] = hd[child];
        hi[i] = hi[child];
        i = child;
    }
    hd[i] = d;
    hi[i] = id;
}

// Adds (d, id) to a max-heap of `size` < capacity entries.
static inline void knn_push(uint32_t *hd, int64_t *hi, size_t size, uint32_t d, int64_t id) {
    size_t i = size;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!knn_worse(d, id, hd[parent], hi[parent])) break;
        hd[i] = hd[parent];
        hi[i] = hi[parent];
        i = parent;
    }
    hd[i] = d;
    hi[i] = id;
}

// Replaces the root of a full heap by (d, id) when (d, id) ranks before it.
static inline void knn_offer_full(uint32_t *hd, int64_t *hi, size_t k, uint32_t d, int64_t id) {
    if (knn_worse(hd[0], hi[0], d, id)) knn_sift_down(hd, hi, k, d, id);
}

// Sorts a heap of `size` entries best first: each step moves the worst to the end.
static void knn_sort(uint32_t *hd, int64_t *hi, size_t size) {
    for (size_t end = size; end > 1; end--) {
        uint32_t d = hd[end - 1];
        int64_t id = hi[end - 1];
        hd[end - 1] = hd[0];
        hi[end - 1] = hi[0];
        knn_sift_down(hd, hi, end - 1, d, id);
    }
}

__attribute__((always_inline)) static inline uint32_t hamming_one(const uint64_t *q, const char *x, size_t words) {
    uint32_t n = 0;
    for (size_t w = 0; w < words; w++) {
        uint64_t v;
        memcpy(&v, x + 8 * w, 8);
        n += (uint32_t)__builtin_popcountll(q[w] ^ v);
    }
    return n;
}

// The first min(k, count) rows enter every heap unconditionally (the heaps are not yet full).
static void knn_fill(const uint64_t *queries, size_t nq, size_t words, const char *rows, size_t row_bytes,
                     size_t fill, int64_t first_id, size_t k, uint32_t *out_dist, int64_t *out_ids) {
    for (size_t r = 0; r < fill; r++) {
        const char *x = rows + r * row_bytes;
        for (size_t j = 0; j < nq; j++)
            knn_push(out_dist + j * k, out_ids + j * k, r, hamming_one(queries + j * words, x, words), first_id + (int64_t)r);
    }
}

// Rows start..<count against full heaps, four queries per pass over a block of rows. Rows come in
// increasing id order, so a distance equal to a heap's worst never displaces it: the test against
// the root is a strict "<" and the heap is touched only for rows that enter.
__attribute__((always_inline)) static inline void knn_scan_scalar(
    const uint64_t *queries, size_t nq, size_t words, const char *rows, size_t row_bytes,
    size_t start, size_t count, int64_t first_id, size_t k, uint32_t *hd, int64_t *hi) {
    for (size_t r0 = start; r0 < count; r0 += KNN_ROW_BLOCK) {
        size_t r1 = r0 + KNN_ROW_BLOCK < count ? r0 + KNN_ROW_BLOCK : count;
        size_t j = 0;
        for (; j + 4 <= nq; j += 4) {
            const uint64_t *q0 = queries + j * words, *q1 = q0 + words, *q2 = q1 + words, *q3 = q2 + words;
            uint32_t *h0 = hd + j * k, *h1 = h0 + k, *h2 = h1 + k, *h3 = h2 + k;
            int64_t *i0 = hi + j * k, *i1 = i0 + k, *i2 = i1 + k, *i3 = i2 + k;
            uint32_t t0 = h0[0], t1 = h1[0], t2 = h2[0], t3 = h3[0];
            for (size_t r = r0; r < r1; r++) {
                const char *x = rows + r * row_bytes;
                uint32_t d0 = 0, d1 = 0, d2 = 0, d3 = 0;
                for (size_t w = 0; w < words; w++) {
                    uint64_t v;
                    memcpy(&v, x + 8 * w, 8);
                    d0 += (uint32_t)__builtin_popcountll(q0[w] ^ v);
                    d1 += (uint32_t)__builtin_popcountll(q1[w] ^ v);
                    d2 += (uint32_t)__builtin_popcountll(q2[w] ^ v);
                    d3 += (uint32_t)__builtin_popcountll(q3[w] ^ v);
                }
                int64_t id = first_id + (int64_t)r;
                if (d0 < t0) { knn_offer_full(h0, i0, k, d0, id); t0 = h0[0]; }
                if (d1 < t1) { knn_offer_full(h1, i1, k, d1, id); t1 = h1[0]; }
                if (d2 < t2) { knn_offer_full(h2, i2, k, d2, id); t2 = h2[0]; }
                if (d3 < t3) { knn_offer_full(h3, i3, k, d3, id); t3 = h3[0]; }
            }
        }
        for (; j < nq; j++) {
            const uint64_t *q = queries + j * words;
            uint32_t *h = hd + j * k;
            int64_t *ids = hi + j * k;
            uint32_t t = h[0];
            for (size_t r = r0; r < r1; r++) {
                uint32_t d = hamming_one(q, rows + r * row_bytes, words);
                if (d < t) { knn_offer_full(h, ids, k, d, first_id + (int64_t)r); t = h[0]; }
            }
        }
    }
}

static void knn_scan_portable(const uint64_t *queries, size_t nq, size_t words, const char *rows, size_t row_bytes,
                              size_t start, size_t count, int64_t first_id, size_t k, uint32_t *hd, int64_t *hi) {
    knn_scan_scalar(queries, nq, words, rows, row_bytes, start, count, first_id, k, hd, hi);
}

// MARK: AVX2 + FMA + F16C + POPCNT

#ifdef AERIE_X86
#define AERIE_FAST __attribute__((target("avx2,fma,f16c,popcnt")))

AERIE_FAST static inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

AERIE_FAST static void f32_dot_rows_avx2(const float *q, const void *rows, size_t row_bytes, size_t count, size_t dim, float *out) {
    for (size_t r = 0; r < count; r++) {
        const float *x = (const float *)((const char *)rows + r * row_bytes);
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
        size_t i = 0;
        for (; i + 32 <= dim; i += 32) {
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(x + i), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), _mm256_loadu_ps(x + i + 8), a1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 16), _mm256_loadu_ps(x + i + 16), a2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 24), _mm256_loadu_ps(x + i + 24), a3);
        }
        for (; i + 8 <= dim; i += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(x + i), a0);
        float sum = hsum256(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
        for (; i < dim; i++) sum += q[i] * x[i];
        out[r] = sum;
    }
}

AERIE_FAST static inline __m256 load_half8(const uint16_t *h) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)h));
}

AERIE_FAST static void f16_widen_avx2(const uint16_t *h, float *out, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, load_half8(h + i));
    for (; i < n; i++) out[i] = half_to_float(h[i]);
}

AERIE_FAST static void f16_dot_rows_avx2(const float *q, const void *rows, size_t row_bytes, size_t count, size_t dim, float *out) {
    for (size_t r = 0; r < count; r++) {
        const uint16_t *x = (const uint16_t *)((const char *)rows + r * row_bytes);
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
        size_t i = 0;
        for (; i + 32 <= dim; i += 32) {
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), load_half8(x + i), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), load_half8(x + i + 8), a1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 16), load_half8(x + i + 16), a2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 24), load_half8(x + i + 24), a3);
        }
        for (; i + 8 <= dim; i += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), load_half8(x + i), a0);
        float sum = hsum256(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
        for (; i < dim; i++) sum += q[i] * half_to_float(x[i]);
        out[r] = sum;
    }
}

AERIE_FAST static void f16_l2_rows_avx2(const float *q, const void *rows, size_t row_bytes, size_t count, size_t dim, float *out) {
    for (size_t r = 0; r < count; r++) {
        const uint16_t *x = (const uint16_t *)((const char *)rows + r * row_bytes);
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        size_t i = 0;
        for (; i + 16 <= dim; i += 16) {
            __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(q + i), load_half8(x + i));
            __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(q + i + 8), load_half8(x + i + 8));
            a0 = _mm256_fmadd_ps(d0, d0, a0);
            a1 = _mm256_fmadd_ps(d1, d1, a1);
        }
        for (; i + 8 <= dim; i += 8) {
            __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(q + i), load_half8(x + i));
            a0 = _mm256_fmadd_ps(d0, d0, a0);
        }
        float sum = hsum256(_mm256_add_ps(a0, a1));
        for (; i < dim; i++) {
            float d = q[i] - half_to_float(x[i]);
            sum += d * d;
        }
        out[r] = sum;
    }
}

AERIE_FAST static void knn_scan_avx2(const uint64_t *queries, size_t nq, size_t words, const char *rows, size_t row_bytes,
                                     size_t start, size_t count, int64_t first_id, size_t k, uint32_t *hd, int64_t *hi) {
    knn_scan_scalar(queries, nq, words, rows, row_bytes, start, count, first_id, k, hd, hi);
}

// MARK: AVX-512 VPOPCNTDQ (batched Hamming)

#define AERIE_512 __attribute__((target("avx512f,avx512vpopcntdq,avx2,popcnt,bmi")))

// Eight vectors of eight 64-bit counts in, their eight horizontal sums out (lane i = sum of p_i):
// pairs summed within 128-bit lanes, then 128-bit lanes summed across, a tree of 21 operations.
AERIE_512 static inline __m512i sum8x8(__m512i p0, __m512i p1, __m512i p2, __m512i p3,
                                       __m512i p4, __m512i p5, __m512i p6, __m512i p7) {
    __m512i a0 = _mm512_add_epi64(_mm512_unpacklo_epi64(p0, p1), _mm512_unpackhi_epi64(p0, p1));
    __m512i a1 = _mm512_add_epi64(_mm512_unpacklo_epi64(p2, p3), _mm512_unpackhi_epi64(p2, p3));
    __m512i a2 = _mm512_add_epi64(_mm512_unpacklo_epi64(p4, p5), _mm512_unpackhi_epi64(p4, p5));
    __m512i a3 = _mm512_add_epi64(_mm512_unpacklo_epi64(p6, p7), _mm512_unpackhi_epi64(p6, p7));
    __m512i b0 = _mm512_add_epi64(_mm512_shuffle_i64x2(a0, a1, 0x88), _mm512_shuffle_i64x2(a0, a1, 0xDD));
    __m512i b1 = _mm512_add_epi64(_mm512_shuffle_i64x2(a2, a3, 0x88), _mm512_shuffle_i64x2(a2, a3, 0xDD));
    return _mm512_add_epi64(_mm512_shuffle_i64x2(b0, b1, 0x88), _mm512_shuffle_i64x2(b0, b1, 0xDD));
}

// Sixteen vectors of per-word counts in, sixteen 32-bit sums out (lane i = sum of p[i]): pairs
// of vectors share one vector first (counts fit in 32 bits), which halves the reduction.
AERIE_512 static inline __m512i sum16(const __m512i *p) {
    __m512i m[8];
    for (int i = 0; i < 8; i++) m[i] = _mm512_or_si512(p[2 * i], _mm512_slli_epi64(p[2 * i + 1], 32));
    return sum8x8(m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7]);
}

// Offers the lanes of `d` below the thresholds `t` (mask `m`) to their queries' heaps and
// returns the updated thresholds.
AERIE_512 static __m512i knn_take_lanes(__m512i d, __mmask16 m, uint32_t *thr, uint32_t *hd, int64_t *hi,
                                        size_t j0, size_t k, int64_t id) {
    uint32_t lanes[16];
    _mm512_storeu_si512(lanes, d);
    while (m) {
        int i = __builtin_ctz(m);
        uint32_t *h = hd + (j0 + (size_t)i) * k;
        knn_offer_full(h, hi + (j0 + (size_t)i) * k, k, lanes[i], id);
        thr[i] = h[0];
        m &= (__mmask16)(m - 1);
    }
    return _mm512_loadu_si512(thr);
}

// One query of at most 8 words (`tail` masks them) against rows r0..<r1 of a full heap, eight
// rows per reduction (lane i = row r+i): the layout for the few queries left over from blocks of
// 16, a single query above all.
AERIE_512 static void knn_rows_avx512(const uint64_t *q, size_t words, __mmask8 tail, const char *rows, size_t row_bytes,
                                      size_t r0, size_t r1, int64_t first_id, size_t k, uint32_t *h, int64_t *ids) {
    uint32_t t = h[0];
    size_t r = r0;
    {
        __m512i Q = _mm512_maskz_loadu_epi64(tail, q);
        for (; r + 8 <= r1; r += 8) {
            const char *x = rows + r * row_bytes;
            __m512i p[8];
            for (int i = 0; i < 8; i++)
                p[i] = _mm512_popcnt_epi64(_mm512_xor_si512(Q, _mm512_maskz_loadu_epi64(tail, x + (size_t)i * row_bytes)));
            __m512i d = sum8x8(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]);
            __mmask8 m = _mm512_cmplt_epu64_mask(d, _mm512_set1_epi64((long long)t));
            if (m) {
                uint64_t lanes[8];
                _mm512_storeu_si512(lanes, d);
                // Lanes after the first taken were tested against the old root; the heap's own
                // (distance, id) test decides for them.
                while (m) {
                    int i = __builtin_ctz(m);
                    knn_offer_full(h, ids, k, (uint32_t)lanes[i], first_id + (int64_t)(r + (size_t)i));
                    m &= (__mmask8)(m - 1);
                }
                t = h[0];
            }
        }
    }
    for (; r < r1; r++) {
        uint32_t d = hamming_one(q, rows + r * row_bytes, words);
        if (d < t) { knn_offer_full(h, ids, k, d, first_id + (int64_t)r); t = h[0]; }
    }
}

// Rows start..<count against full heaps, 16 queries at a time (see knn_scan_scalar for the
// strict threshold). A row of up to 512 bits is one register; longer rows are summed chunk by
// chunk before the reduction. The words past the row's end are masked off in both operands.
// Eight or fewer queries left over fill a block of 16 lanes poorly: they go one at a time
// through knn_rows_avx512 when a row is one register (measured: 1 query 3.8 ms per million
// 512-bit rows and thread, against 14 ms for a block of 16 lanes).
AERIE_512 static void knn_scan_avx512(const uint64_t *queries, size_t nq, size_t words, const char *rows, size_t row_bytes,
                                      size_t start, size_t count, int64_t first_id, size_t k, uint32_t *hd, int64_t *hi) {
    size_t chunks = (words + 7) / 8;
    __mmask8 tail = (__mmask8)((1u << (words - 8 * (chunks - 1))) - 1);
    uint32_t thr[16];
    for (size_t r0 = start; r0 < count; r0 += KNN_ROW_BLOCK) {
        size_t r1 = r0 + KNN_ROW_BLOCK < count ? r0 + KNN_ROW_BLOCK : count;
        for (size_t j0 = 0; j0 < nq; j0 += 16) {
            size_t lanes = nq - j0 < 16 ? nq - j0 : 16;
            if (lanes <= 8 && chunks == 1) {
                for (size_t j = j0; j < nq; j++)
                    knn_rows_avx512(queries + j * words, words, tail, rows, row_bytes, r0, r1, first_id, k, hd + j * k, hi + j * k);
                break;
            }
            // Lanes past the last query repeat query j0 and get threshold 0, so they never report.
            const uint64_t *q[16];
            for (size_t i = 0; i < 16; i++) {
                q[i] = queries + (j0 + (i < lanes ? i : 0)) * words;
                thr[i] = i < lanes ? hd[(j0 + i) * k] : 0;
            }
            __m512i t = _mm512_loadu_si512(thr);
            if (chunks == 1) {
                __m512i Q[16];
                for (int i = 0; i < 16; i++) Q[i] = _mm512_maskz_loadu_epi64(tail, q[i]);
                for (size_t r = r0; r < r1; r++) {
                    __m512i x = _mm512_maskz_loadu_epi64(tail, rows + r * row_bytes);
                    __m512i p[16];
                    for (int i = 0; i < 16; i++) p[i] = _mm512_popcnt_epi64(_mm512_xor_si512(x, Q[i]));
                    __m512i d = sum16(p);
                    __mmask16 m = _mm512_cmplt_epu32_mask(d, t);
                    if (m) t = knn_take_lanes(d, m, thr, hd, hi, j0, k, first_id + (int64_t)r);
                }
            } else {
                for (size_t r = r0; r < r1; r++) {
                    const char *x = rows + r * row_bytes;
                    __m512i p[16];
                    for (int i = 0; i < 16; i++) p[i] = _mm512_setzero_si512();
                    for (size_t c = 0; c < chunks; c++) {
                        __mmask8 mask = c + 1 == chunks ? tail : 0xFF;
                        __m512i xc = _mm512_maskz_loadu_epi64(mask, x + 64 * c);
                        for (int i = 0; i < 16; i++)
                            p[i] = _mm512_add_epi64(p[i], _mm512_popcnt_epi64(_mm512_xor_si512(xc, _mm512_maskz_loadu_epi64(mask, q[i] + 8 * c))));
                    }
                    __m512i d = sum16(p);
                    __mmask16 m = _mm512_cmplt_epu32_mask(d, t);
                    if (m) t = knn_take_lanes(d, m, thr, hd, hi, j0, k, first_id + (int64_t)r);
                }
            }
        }
    }
}
#endif

// MARK: dispatch

static int detected = -1;  // -1 unknown; benign race: every thread computes the same value
static int detected512 = -1;  // as `detected`
// Per thread, so that a test forcing a path cannot change what concurrent searches run.
static _Thread_local int forced_portable = 0;
static _Thread_local int disabled512 = 0;

static int use_fast(void) {
#ifdef AERIE_X86
    if (forced_portable) return 0;
    if (detected < 0) {
        __builtin_cpu_init();
        detected = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
            && __builtin_cpu_supports("f16c") && __builtin_cpu_supports("popcnt");
    }
    return detected;
#else
    return 0;
#endif
}

static int use_avx512_popcount(void) {
#ifdef AERIE_X86
    if (!use_fast() || disabled512) return 0;
    if (detected512 < 0)
        detected512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq");
    return detected512;
#else
    return 0;
#endif
}

int aerie_kernels_accelerated(void) { return use_fast(); }

int aerie_kernels_avx512_popcount(void) { return use_avx512_popcount(); }

void aerie_kernels_disable_avx512(int disable) { disabled512 = disable; }

void aerie_kernels_force_portable(int portable) { forced_portable = portable; }

void aerie_f32_dot_rows(const float *q, const void *rows, size_t row_bytes, size_t count, size_t dim, float *out) {
#ifdef AERIE_X86
    if (use_fast()) { f32_dot_rows_avx2(q, rows, row_bytes, count, dim, out); return; }
#endif
    f32_dot_rows_portable(q, rows, row_bytes, count, dim, out);
}

void aerie_f16_dot_rows(const float *q, const void *rows, size_t row_bytes, size_t count, size_t dim, float *out) {
#ifdef AERIE_X86
    if (use_fast()) { f16_dot_rows_avx2(q, rows, row_bytes, count, dim, out); return; }
#endif
    f16_dot_rows_portable(q, rows, row_bytes, count, dim, out);
}

void aerie_f16_l2_rows(const float *q, const void *rows, size_t row_bytes, size_t count, size_t dim, float *out) {
#ifdef AERIE_X86
    if (use_fast()) { f16_l2_rows_avx2(q, rows, row_bytes, count, dim, out); return; }
#endif
    f16_l2_rows_portable(q, rows, row_bytes, count, dim, out);
}

void aerie_f16_widen(const uint16_t *h, float *out, size_t n) {
#ifdef AERIE_X86
    if (use_fast()) { f16_widen_avx2(h, out, n); return; }
#endif
    f16_widen_portable(h, out, n);
}

size_t aerie_hamming_knn(const uint64_t *queries, size_t nq, size_t words,
                         const void *rows, size_t row_bytes, size_t count, int64_t first_id,
                         size_t k, uint32_t *out_dist, int64_t *out_ids) {
    size_t fill = k < count ? k : count;
    if (nq == 0 || words == 0 || fill == 0) return 0;
    const char *x = (const char *)rows;
    knn_fill(queries, nq, words, x, row_bytes, fill, first_id, k, out_dist, out_ids);
    if (fill == k && count > k) {
#ifdef AERIE_X86
        if (use_avx512_popcount()) knn_scan_avx512(queries, nq, words, x, row_bytes, k, count, first_id, k, out_dist, out_ids);
        else if (use_fast()) knn_scan_avx2(queries, nq, words, x, row_bytes, k, count, first_id, k, out_dist, out_ids);
        else knn_scan_portable(queries, nq, words, x, row_bytes, k, count, first_id, k, out_dist, out_ids);
#else
        knn_scan_portable(queries, nq, words, x, row_bytes, k, count, first_id, k, out_dist, out_ids);
#endif
    }
    for (size_t j = 0; j < nq; j++) knn_sort(out_dist + j * k, out_ids + j * k, fill);
    return fill;
}

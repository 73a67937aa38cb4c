// See include/AerieKernels.h. Two implementations of each kernel: `*_portable` (plain C that
// any x86-64 or arm64 compiler vectorises with its baseline) and, on x86-64, `*_avx2`, compiled
// for AVX2+FMA+F16C+POPCNT and used only when the CPU reports all four.
#include "AerieKernels.h"

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

static void hamming_rows_portable(const uint64_t *q, const void *rows, size_t row_bytes, size_t count, size_t words, uint32_t *out) {
    for (size_t r = 0; r < count; r++) {
        const char *x = (const char *)rows + r * row_bytes;
        uint32_t n = 0;
        for (size_t w = 0; w < words; w++) {
            uint64_t v;
            memcpy(&v, x + 8 * w, 8);
            n += (uint32_t)__builtin_popcountll(q[w] ^ v);
        }
        out[r] = n;
    }
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

AERIE_FAST static void hamming_rows_avx2(const uint64_t *q, const void *rows, size_t row_bytes, size_t count, size_t words, uint32_t *out) {
    for (size_t r = 0; r < count; r++) {
        const char *x = (const char *)rows + r * row_bytes;
        uint64_t n0 = 0, n1 = 0;
        size_t w = 0;
        for (; w + 2 <= words; w += 2) {
            uint64_t v0, v1;
            memcpy(&v0, x + 8 * w, 8);
            memcpy(&v1, x + 8 * w + 8, 8);
            n0 += (uint64_t)_mm_popcnt_u64(q[w] ^ v0);
            n1 += (uint64_t)_mm_popcnt_u64(q[w + 1] ^ v1);
        }
        if (w < words) {
            uint64_t v;
            memcpy(&v, x + 8 * w, 8);
            n0 += (uint64_t)_mm_popcnt_u64(q[w] ^ v);
        }
        out[r] = (uint32_t)(n0 + n1);
    }
}
#endif

// MARK: dispatch

static int detected = -1;  // -1 unknown; benign race: every thread computes the same value
static int forced_portable = 0;

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

int aerie_kernels_accelerated(void) { return use_fast(); }

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

void aerie_hamming_rows(const uint64_t *q, const void *rows, size_t row_bytes, size_t count, size_t words, uint32_t *out) {
#ifdef AERIE_X86
    if (use_fast()) { hamming_rows_avx2(q, rows, row_bytes, count, words, out); return; }
#endif
    hamming_rows_portable(q, rows, row_bytes, count, words, out);
}

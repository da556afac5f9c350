/*
 * Prototype for decision 0285 (issue 13, prose log): the sampled q-gram filter of
 * src/redaction/matcher.ts written in C, scalar and with AVX-512 gathers (16 samples a step), against
 * memchr (what `indexOf` of an absent needle is on prose). It only samples and probes the filter and
 * lists the positions that pass: no verification, no output, so it is a lower bound for the design.
 * q = 4; each searched string is indexed under the `stride` 4-grams of its rarest window.
 *
 *   node dist/bench/prefilter/dump-inputs.js /tmp/pf
 *   gcc -O3 -march=native -o /tmp/pf/sampled-filter bench/prefilter/sampled-filter.c
 *   cd /tmp/pf && ./sampled-filter prose.txt 8        (log, stride [, log2 of filter words])
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GOLDEN 0x9E3779B1u
#define MIX 0x85EBCA77u

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static uint8_t *read_all(const char *name, size_t *n) {
  FILE *f = fopen(name, "rb");
  if (!f) {
    perror(name);
    exit(1);
  }
  fseek(f, 0, SEEK_END);
  *n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *b = malloc(*n + 64);
  if (fread(b, 1, *n, f) != *n) exit(1);
  memset(b + *n, 0, 64);
  fclose(f);
  return b;
}

static inline uint32_t load32(const uint8_t *p) {
  uint32_t x;
  memcpy(&x, p, 4);
  return x;
}

/* The 3 bits a gram sets in its filter word, as filterBits in matcher.ts. */
static inline uint32_t bits3(uint32_t g) {
  uint32_t m = g * MIX;
  return (1u << (m >> 27)) | (1u << ((m >> 22) & 31)) | (1u << ((m >> 17) & 31));
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: sampled-filter <log> <stride> [log2 filter words]\n");
    return 1;
  }
  const int stride = atoi(argv[2]);
  size_t tn, pn;
  uint8_t *text = read_all(argv[1], &tn);
  uint8_t *pt = read_all("patterns.txt", &pn);
  int np = 0;
  for (size_t i = 0; i < pn; i++) np += pt[i] == '\n';
  uint32_t *start = malloc(sizeof(uint32_t) * (np + 1));
  start[0] = 0;
  for (size_t i = 0, k = 0; i < pn; i++) if (pt[i] == '\n') start[++k] = i + 1;

  /* Gram counts over all patterns, then each pattern's window of `stride` grams of least count. */
  uint16_t *count = calloc(1 << 16, 2);
  for (int p = 0; p < np; p++) {
    int len = start[p + 1] - 1 - start[p];
    for (int i = 0; i + 4 <= len; i++) {
      uint32_t s = (load32(pt + start[p] + i) * GOLDEN) >> 16;
      if (count[s] < 65535) count[s]++;
    }
  }
  int word_bits = 0;
  while ((1 << word_bits) < np * stride) word_bits++;
  word_bits -= 2; /* about 8 bits per entry, as matcher.ts */
  if (argc > 3) word_bits = atoi(argv[3]);
  const int shift = 32 - word_bits;
  uint32_t *filter = calloc(1u << word_bits, 4);
  for (int p = 0; p < np; p++) {
    int len = start[p + 1] - 1 - start[p];
    int last = len - 4 + 1 - stride;
    if (last < 0) {
      fprintf(stderr, "a pattern of %d characters is too short for stride %d\n", len, stride);
      return 1;
    }
    int best = 0;
    long best_sum = 1L << 60;
    for (int w = 0; w <= last; w++) {
      long sum = 0;
      for (int i = w; i < w + stride; i++) sum += count[(load32(pt + start[p] + i) * GOLDEN) >> 16];
      if (sum < best_sum) best_sum = sum, best = w;
    }
    for (int i = best; i < best + stride; i++) {
      uint32_t g = load32(pt + start[p] + i);
      filter[(g * GOLDEN) >> shift] |= bits3(g);
    }
  }

  int32_t *passed = malloc(4 * (tn / stride + 32));
  double best_scalar = 1e9, best_simd = 1e9, best_memchr = 1e9;
  long passes = 0, passes_simd = 0;
  volatile long sink = 0;
  const __m512i lanes = _mm512_mullo_epi32(
      _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_epi32(stride));
  const __m512i golden = _mm512_set1_epi32(GOLDEN), mix = _mm512_set1_epi32(MIX);
  const __m512i one = _mm512_set1_epi32(1), v31 = _mm512_set1_epi32(31);
  for (int rep = 0; rep < 300; rep++) {
    double t0 = now_ms();
    long c = 0;
    for (size_t j = 0; j + 4 <= tn; j += stride) {
      uint32_t g = load32(text + j), m = bits3(g);
      if ((filter[(g * GOLDEN) >> shift] & m) == m) passed[c++] = j;
    }
    double t1 = now_ms();
    if (t1 - t0 < best_scalar) best_scalar = t1 - t0;
    passes = c;

    t0 = now_ms();
    c = 0;
    size_t j = 0;
    for (; j + 16 * stride + 4 <= tn; j += 16 * stride) {
      __m512i g = _mm512_i32gather_epi32(lanes, (const void *)(text + j), 1);
      __m512i m = _mm512_mullo_epi32(g, mix);
      __m512i mask = _mm512_or_si512(
          _mm512_or_si512(_mm512_sllv_epi32(one, _mm512_srli_epi32(m, 27)),
                          _mm512_sllv_epi32(one, _mm512_and_si512(_mm512_srli_epi32(m, 22), v31))),
          _mm512_sllv_epi32(one, _mm512_and_si512(_mm512_srli_epi32(m, 17), v31)));
      __m512i at = _mm512_srli_epi32(_mm512_mullo_epi32(g, golden), shift);
      __m512i words = _mm512_i32gather_epi32(at, (const void *)filter, 4);
      __mmask16 hit = _mm512_cmpeq_epi32_mask(_mm512_and_si512(words, mask), mask);
      while (hit) {
        passed[c++] = j + __builtin_ctz(hit) * stride;
        hit &= hit - 1;
      }
    }
    for (; j + 4 <= tn; j += stride) {
      uint32_t g = load32(text + j), m = bits3(g);
      if ((filter[(g * GOLDEN) >> shift] & m) == m) passed[c++] = j;
    }
    t1 = now_ms();
    if (t1 - t0 < best_simd) best_simd = t1 - t0;
    passes_simd = c;

    __asm__ volatile("" ::: "memory");
    t0 = now_ms();
    sink += (long)memchr(text, 1, tn); /* a byte no log holds: the whole text is read */
    __asm__ volatile("" ::: "memory");
    t1 = now_ms();
    if (t1 - t0 < best_memchr) best_memchr = t1 - t0;
  }
  const double mib = tn / 1048576.0;
  printf("%s, %d searched strings, stride %d, filter %d KiB: scalar %.3f ms/MiB (%ld passes), "
         "AVX-512 %.3f ms/MiB (%ld), memchr %.4f ms/MiB; scalar %.0fx memchr, AVX-512 %.0fx\n",
         argv[1], np, stride, (4 << word_bits) >> 10, best_scalar / mib, passes, best_simd / mib, passes_simd,
         best_memchr / mib, best_scalar / best_memchr, best_simd / best_memchr);
  return 0;
}

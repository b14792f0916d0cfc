/*
 * mmc.c: the C reference for gmplab's speed benchmark (benchmarks/bench_kernel.py).
 *
 * Simulates an M/M/c queue, first come first served, one central queue, and prints one
 * line of JSON. It is the same algorithm as gmplab's `central` policy, written the way
 * /work/shared/reference/fast-numba-kernels.md measured as the C baseline:
 *
 *   - time is int64 nanoseconds; each exponential draw is rounded to the nearest ns;
 *   - an event heap of parallel arrays (time, seq, kind, payload), a binary min-heap keyed
 *     by (time, seq) so that ties break deterministically in scheduling order. It holds one
 *     outstanding arrival event plus one completion event per busy server (at most c + 1
 *     entries). We use a heap, not a scan of the c server-free times: a scan is faster for
 *     c = 16 (see the note) but the point here is the same algorithm as the numba kernel;
 *   - pop and push are fused where possible ("heapreplace", one sift-down): an arrival that
 *     schedules the next arrival, and a completion that starts the next waiting customer;
 *   - a FIFO ring (power-of-two capacity, grows by doubling) of waiting customers' arrival
 *     times;
 *   - inline xoshiro256+ seeded by splitmix64; exponential draws by -log(u), u in (0, 1];
 *   - sojourn times go into a log-linear histogram (HdrHistogram-like, 2 significant
 *     digits: exact below 256 ns, then 128 sub-buckets per power of two, so each bucket is
 *     at most 1/128 of its value wide). The mean comes from an exact running sum, the P99
 *     from the histogram (midpoint of the bucket that holds rank ceil(0.99 n)).
 *
 * The clock (CLOCK_MONOTONIC) brackets the event loop only: allocation, seeding and the
 * percentile scan are outside it.
 *
 * Usage:  mmc C RHO MEAN_SERVICE_NS CUSTOMERS SEED
 * Output: {"c":16,"rho":0.9,...,"customers":N,"wall_s":...,"sojourn_mean_ns":...,
 *          "sojourn_p99_ns":...,"events":...}
 *
 * Build:  gcc -O3 -march=native -o benchmarks/build/mmc benchmarks/mmc.c -lm
 */
#define _POSIX_C_SOURCE 199309L
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- RNG: xoshiro256+ (Blackman & Vigna), seeded by splitmix64 ------------------------ */

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Exponential with the given mean in ns, rounded to the nearest ns. The top 53 bits of
 * xoshiro256+ give k in [0, 2^53); u = (k + 1) 2^-53 lies in (0, 1], so -log(u) is finite. */
#define EXP_NS(mean, s0, s1, s2, s3, out)                                                   \
    do {                                                                                    \
        uint64_t r_ = s0 + s3;                                                              \
        uint64_t t_ = s1 << 17;                                                             \
        s2 ^= s0;                                                                           \
        s3 ^= s1;                                                                           \
        s1 ^= s2;                                                                           \
        s0 ^= s3;                                                                           \
        s2 ^= t_;                                                                           \
        s3 = rotl(s3, 45);                                                                  \
        double u_ = (double)((r_ >> 11) + 1) * 0x1.0p-53;                                   \
        (out) = (int64_t)(-(mean) * log(u_) + 0.5);                                         \
    } while (0)

/* ---- histogram: log-linear, 2 significant digits --------------------------------------- */

#define HIST_SUB_BITS 7                     /* 128 sub-buckets per power of two */
#define HIST_SUB (1 << HIST_SUB_BITS)       /* 128 */
#define HIST_LINEAR (2 * HIST_SUB)          /* values 0..255 are exact */
#define HIST_BINS (HIST_LINEAR + (63 - (HIST_SUB_BITS + 1)) * HIST_SUB)

static inline int hist_index(int64_t v) {
    if (v < HIST_LINEAR) return v < 0 ? 0 : (int)v;
    int e = 63 - __builtin_clzll((uint64_t)v);        /* floor(log2 v) >= 8 */
    int shift = e - HIST_SUB_BITS;                     /* keeps 8 significant bits */
    int sub = (int)(v >> shift) - HIST_SUB;            /* 0..127 */
    return HIST_LINEAR + (e - (HIST_SUB_BITS + 1)) * HIST_SUB + sub;
}

/* [lo, hi) of bucket i */
static void hist_bounds(int i, double *lo, double *hi) {
    if (i < HIST_LINEAR) {
        *lo = i;
        *hi = i + 1;
        return;
    }
    int e = (i - HIST_LINEAR) / HIST_SUB + HIST_SUB_BITS + 1;
    int sub = (i - HIST_LINEAR) % HIST_SUB + HIST_SUB;
    int shift = e - HIST_SUB_BITS;
    *lo = ldexp((double)sub, shift);
    *hi = ldexp((double)(sub + 1), shift);
}

/* value at quantile p: midpoint of the bucket holding rank ceil(p n); exact below 256 */
static double hist_quantile(const int64_t *h, int64_t n, double p) {
    int64_t rank = (int64_t)ceil(p * (double)n);
    if (rank < 1) rank = 1;
    int64_t cum = 0;
    for (int i = 0; i < HIST_BINS; i++) {
        cum += h[i];
        if (cum >= rank) {
            double lo, hi;
            hist_bounds(i, &lo, &hi);
            return i < HIST_LINEAR ? lo : 0.5 * (lo + hi);
        }
    }
    return NAN;
}

/* ---- event heap: parallel arrays keyed by (time, seq) ----------------------------------- */

enum { EV_ARRIVAL = 0, EV_COMPLETION = 1 };

#define LESS(i, j) (ht[i] < ht[j] || (ht[i] == ht[j] && hs[i] < hs[j]))

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s C RHO MEAN_SERVICE_NS CUSTOMERS SEED\n", argv[0]);
        return 2;
    }
    const int c = atoi(argv[1]);
    const double rho = atof(argv[2]);
    const double mean_service = atof(argv[3]);
    const int64_t customers = strtoll(argv[4], NULL, 10);
    const uint64_t seed = strtoull(argv[5], NULL, 10);
    if (c < 1 || !(rho > 0.0 && rho < 1.0) || !(mean_service > 0.0) || customers < 1) {
        fprintf(stderr, "mmc: need C >= 1, 0 < RHO < 1, MEAN_SERVICE_NS > 0, CUSTOMERS >= 1\n");
        return 2;
    }
    const double mean_interarrival = mean_service / (c * rho); /* lambda = c rho mu */

    /* heap of at most c + 1 events (one arrival + one completion per busy server) */
    const int hcap = c + 1;
    int64_t *ht = malloc(sizeof(int64_t) * hcap);   /* time, ns */
    int64_t *hs = malloc(sizeof(int64_t) * hcap);   /* sequence number: tie break */
    int32_t *hk = malloc(sizeof(int32_t) * hcap);   /* EV_ARRIVAL / EV_COMPLETION */
    int64_t *hp = malloc(sizeof(int64_t) * hcap);   /* payload: the customer's arrival time */
    /* FIFO ring of waiting customers (their arrival times) */
    int64_t rcap = 1 << 12, rhead = 0, rlen = 0;
    int64_t *ring = malloc(sizeof(int64_t) * rcap);
    int64_t *hist = calloc(HIST_BINS, sizeof(int64_t));
    if (!ht || !hs || !hk || !hp || !ring || !hist) {
        fprintf(stderr, "mmc: out of memory\n");
        return 1;
    }

    uint64_t sm = seed;
    uint64_t s0 = splitmix64(&sm), s1 = splitmix64(&sm), s2 = splitmix64(&sm),
             s3 = splitmix64(&sm);

    int64_t seq = 0, events = 0, arrived = 0, completed = 0, busy = 0;
    int64_t sojourn_sum = 0;
    int hn = 0;

    double t_start = now_s();

    /* the first arrival */
    {
        int64_t dt;
        EXP_NS(mean_interarrival, s0, s1, s2, s3, dt);
        ht[0] = dt;
        hs[0] = seq++;
        hk[0] = EV_ARRIVAL;
        hp[0] = 0;
        hn = 1;
    }

    while (completed < customers) {
        const int64_t now = ht[0];
        events++;
        /* After this block, either the root holds a new event and must sift down (fused
         * pop+push), or the root was removed (last moved to root, then sift down). */
        int64_t nt, np;
        int32_t nk;
        int replace;
        int64_t push_t = -1, push_p = 0; /* optional second event to push (a completion) */

        if (hk[0] == EV_ARRIVAL) {
            arrived++;
            if (arrived < customers) {
                int64_t dt;
                EXP_NS(mean_interarrival, s0, s1, s2, s3, dt);
                nt = now + dt;
                nk = EV_ARRIVAL;
                np = 0;
                replace = 1;
            } else {
                replace = 0;
            }
            if (busy < c) {
                int64_t sv;
                EXP_NS(mean_service, s0, s1, s2, s3, sv);
                busy++;
                push_t = now + sv;
                push_p = now;
            } else {
                if (rlen == rcap) { /* grow the ring: unroll into a buffer twice the size */
                    int64_t *nr = malloc(sizeof(int64_t) * rcap * 2);
                    if (!nr) {
                        fprintf(stderr, "mmc: out of memory (ring)\n");
                        return 1;
                    }
                    for (int64_t i = 0; i < rlen; i++) nr[i] = ring[(rhead + i) & (rcap - 1)];
                    free(ring);
                    ring = nr;
                    rhead = 0;
                    rcap *= 2;
                }
                ring[(rhead + rlen) & (rcap - 1)] = now;
                rlen++;
            }
        } else {
            const int64_t soj = now - hp[0];
            sojourn_sum += soj;
            hist[hist_index(soj)]++;
            completed++;
            if (rlen > 0) {
                const int64_t a = ring[rhead];
                rhead = (rhead + 1) & (rcap - 1);
                rlen--;
                int64_t sv;
                EXP_NS(mean_service, s0, s1, s2, s3, sv);
                nt = now + sv;
                nk = EV_COMPLETION;
                np = a;
                replace = 1;
            } else {
                busy--;
                replace = 0;
            }
        }

        /* fused pop + push (replace) or plain pop: sift down from the root */
        {
            int64_t xt, xs, xp;
            int32_t xk;
            if (replace) {
                xt = nt;
                xs = seq++;
                xk = nk;
                xp = np;
            } else {
                hn--;
                xt = ht[hn];
                xs = hs[hn];
                xk = hk[hn];
                xp = hp[hn];
            }
            if (hn > 0) {
                int i = 0;
                for (;;) {
                    int l = 2 * i + 1;
                    if (l >= hn) break;
                    int m = l;
                    int r = l + 1;
                    if (r < hn && LESS(r, l)) m = r;
                    if (ht[m] < xt || (ht[m] == xt && hs[m] < xs)) {
                        ht[i] = ht[m];
                        hs[i] = hs[m];
                        hk[i] = hk[m];
                        hp[i] = hp[m];
                        i = m;
                    } else {
                        break;
                    }
                }
                ht[i] = xt;
                hs[i] = xs;
                hk[i] = xk;
                hp[i] = xp;
            }
        }

        /* push a new completion: sift up */
        if (push_t >= 0) {
            const int64_t xs = seq++;
            int i = hn++;
            while (i > 0) {
                int parent = (i - 1) >> 1;
                if (ht[parent] < push_t || (ht[parent] == push_t && hs[parent] < xs)) break;
                ht[i] = ht[parent];
                hs[i] = hs[parent];
                hk[i] = hk[parent];
                hp[i] = hp[parent];
                i = parent;
            }
            ht[i] = push_t;
            hs[i] = xs;
            hk[i] = EV_COMPLETION;
            hp[i] = push_p;
        }
    }

    double wall_s = now_s() - t_start;

    double mean = (double)sojourn_sum / (double)completed;
    double p50 = hist_quantile(hist, completed, 0.50);
    double p99 = hist_quantile(hist, completed, 0.99);
    double p999 = hist_quantile(hist, completed, 0.999);
    printf("{\"c\":%d,\"rho\":%.17g,\"mean_service_ns\":%.17g,\"seed\":%" PRIu64
           ",\"customers\":%" PRId64 ",\"wall_s\":%.9f,\"sojourn_mean_ns\":%.6f"
           ",\"sojourn_p50_ns\":%.3f,\"sojourn_p99_ns\":%.3f,\"sojourn_p999_ns\":%.3f"
           ",\"events\":%" PRId64 ",\"ring_capacity\":%" PRId64 "}\n",
           c, rho, mean_service, seed, completed, wall_s, mean, p50, p99, p999, events, rcap);

    free(ht);
    free(hs);
    free(hk);
    free(hp);
    free(ring);
    free(hist);
    return 0;
}

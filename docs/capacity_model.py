#!/usr/bin/env python3
"""Capacity model of one L-BFGS iteration of lbfgs-beam's softmax regression (docs/capacity-model.md).

    python3 docs/capacity_model.py

Reads nothing. The measured numbers are the two tables under "MEASURED INPUTS" below; everything
else is counted from the code or assumed, and says so. Fits the time constants, checks the memory
count against measured peak RSS, and prints the projection for the paper's two large sets on 400
nodes. NumPy only.

Per worker and per steady-state L-BFGS iteration (one trial, accepted, with its gradient; the
vector-free direction; cached margins; history full), with n = K*D parameters, P blocks of
classes (K_b = ceil(K/P) classes in the largest), N examples, nnz nonzeros, history m, the counts
of the current code (LocalExecutor, BlockKernels, TrialKernels, SoftmaxObjective; the flink
NodeWorker has the same totals) are

  data work   U = (2*nnz + N)*K_b + N
                                    two data passes (margins of d, gradient: nnz*K_b
                                    multiply-adds each), one N*K_b pass of exponentials (the
                                    trial's statistics, which keep e = exp(z - m)) and N more
                                    (the slope's r = exp(m - log Z); p = e*r); an exponential
                                    counted as one unit
  bytes       B = 8*((4m + 19)*n/P + 15*N*K_b)
                                    vector streams (reads + writes of n/P-long arrays) and
                                    margin streams (N*K_b-long arrays)
  barriers    S = 2                 flink, per accepted iteration: COMMIT_TRIAL (statistics),
                                    SLOPE (slope, gradient, line-search and Gram partials);
                                    local: 0

  t_iter = a*U + b*B + c*S  (+ the coordinator's combine and the network, which the runs here
                             cannot measure; see project())

The first-slice code (docs/benchmarks.md, "Issue 13, first slice"), on which the runs in the
tables below were measured, had U = 2*(nnz + N)*K_b, B = 8*((4m + 26)*n/P + 14*N*K_b) and S = 4.
Each measured row names the code it ran, and the fit uses that code's counts (COUNTS).

a and b are fitted by least squares to the steady-state iterations of the local runs (all P
blocks of a run on this machine's 2 threads, so a and b are per unit of work done by the whole
2-core machine); c is the flink runner's cost per barrier above local, from paired runs.
"""
import math

import numpy as np

M = 5  # history of every run here and of the projections


def barriers_after_first(barrier_supersteps, evaluations):
    """Barriers per evaluation after the first, from a flink run's summary.json.

    barrierSupersteps counts every bulk superstep the coordinator reduced. The first evaluation
    (the start point: statistics, then the full gradient) takes two and the final WRITE one;
    bench's "s / evaluation after the first" leaves out the first evaluation and the write."""
    return (barrier_supersteps - 3) / (evaluations - 1)


# ==================================================================================================
# MEASURED INPUTS. Everything the fit uses is in these two tables. To refit, replace the rows with
# new measurements (set `code` to 'current' for runs of the current code) and run the script.
# ==================================================================================================
#
# LOCAL_RUNS: one row per local run, from `bench --runners kernel,local`. Columns:
#   name          the set (a label)
#   code          the code the run measured: 'first-slice' or 'current' (which counts apply; COUNTS)
#   N, D, K, nnz  examples, features, classes, nonzeros of the set
#   P             --partitions (blocks of classes)
#   steady        seconds per steady-state iteration: the median, over iterations 7 to the last,
#                 of the differences of consecutive `seconds` in DIR/local/trace.csv (the history
#                 is full from iteration 7 on; check that each of these iterations took one
#                 evaluation). Give the median itself, or the list of cumulative seconds from
#                 iteration 6 to the last, of which the script takes the median step.
#   run_s, iterations, evaluations
#                 the whole run's seconds, iterations and evaluations (bench's table): only for
#                 the whole-run fit that is printed beside the steady one; None to leave it out
#   floor_s       bench's kernel floor, seconds (printed only; None if not run)
#   rss_gb        the local run's peak RSS, GB of 1e9 bytes (for the memory check; None to leave
#                 the set out of it)
#
# The rows below: AMD EPYC, 2 cores, OpenJDK 17, 2026-11-30, commit of docs/benchmarks.md's
# section "Issue 13, fourth slice", table "The bench, 13:13-13:18" (its commands are there; bench
# --output kept the runs). steady: the `seconds` column of the run's local/trace.csv from iteration
# 6 to the last (each of these iterations took one evaluation, step 1, accepted).
LOCAL_RUNS = [
    # name, code, N, D, K, nnz, P, steady, run_s, iterations, evaluations, floor_s, rss_gb
    ('text-63k', 'current', 63550, 20000, 53, 498718, 2,
     [0.720, 0.781, 0.842, 0.896, 0.949, 1.001, 1.058, 1.120, 1.173, 1.229, 1.287],
     1.29, 16, 21, 0.036, 0.46),
    ('synth-medium', 'current', 20000, 50000, 100, 1194761, 16,
     [3.508, 3.807, 4.095, 4.388, 4.674, 4.956, 5.249, 5.522, 5.807, 6.092, 6.388],
     6.39, 16, 21, 0.225, 0.99),
    ('lshtc-small', 'current', 4463, 51033, 1139, 194973, 8,
     [23.939, 24.876, 25.803, 26.737, 27.684, 28.596, 29.491, 30.425, 31.330, 32.274, 33.207,
      34.118, 35.032, 36.005, 36.967, 37.938],
     37.96, 21, 26, 0.407, 7.44),
]
# The first slice's rows (docs/benchmarks.md, "Issue 13, first slice"), which the fit used before,
# with code 'first-slice' (its counts are in COUNTS): text-63k steady 0.0790 s (floor 0.115),
# synth-medium 0.3065 (floor 0.200), lshtc-small 1.0165 (floor 0.313); see git history.

# FLINK_PAIRS: flink embedded against local in the same bench command. Columns:
#   name, P       the set and --partitions
#   local_s       local, bench's "steady s / evaluation"
#   flink_s       flink (embedded), the same column of the same bench command
#   barriers      barriers per steady evaluation: 2 (COMMIT_TRIAL and SLOPE) for an iteration whose
#                 one trial is accepted and whose speculative Gram entries apply, as every iteration
#                 from 7 on of these runs (summary.json: 44 barrier supersteps over 21 evaluations,
#                 5 dropped Gram passes and 4 speculative gradients, all in iterations 1-2)
#   source        where the numbers come from
# c = (flink_s - local_s) / barriers per pair: what a barrier costs the flink job (embedded, every
# node in one JVM, no network) above the same work on local, with everything else the job adds.
FLINK_PAIRS = [
    # name, P, local_s, flink_s, barriers, source
    ('text-63k', 2, 0.057, 0.084, 2,
     'benchmarks.md "Issue 13, fourth slice", the bench of 13:13 ("steady s / evaluation")'),
    ('synth-medium', 16, 0.287, 0.363, 2,
     'benchmarks.md "Issue 13, fourth slice", the bench of 13:16 ("steady s / evaluation")'),
]
# ==================================================================================================
# End of the measured inputs.
# ==================================================================================================

# The counts per steady iteration and per block, of the current code (see the module docstring and
# the doc's table "Streams B"). The flink NodeWorker has the same totals, split over its two phases.
VECTOR_STREAMS = {
    'commit in place (reads d, x, g_e, g; writes d, x, g)': 7,
    'Gram partials (reads the 2m+1 basis vectors once, tiled)': 2 * M + 1,
    'direction (reads 2m+1, writes out; four terms per pass, no clearing pass)': 2 * M + 2,
    'slope (one pass: reads x, d, g)': 3,
    'gradient and line-search partials (fill; last pass reads g_t, x, d, g, writes g_t)': 6,
}
# The counts of the code the runs below measured. Since then a cached trial's statistics form z_t
# row by row where they read it (partialStatisticsAtTrial): trial margins + statistics stream 4
# arrays (read z_x, z_d; write z_t, e), not 3 + 2, so 11 in all and 5 beyond the floor.
MARGIN_STREAMS = {
    'commit: local takes the accepted trial\'s margins as z_x (flink: z_x += t z_d, 3)': 0,
    'margins of d into a reused array (fill, row read, row write)': 3,
    'trial margins z_x + t z_d (2 reads, 1 write)': 3,
    'partial statistics of the trial (reads z_t, writes the kept e)': 2,
    'slope: reads e, writes p = e*r over it, reads z_d': 3,
    'gradient reads the kept p': 1,
}
assert sum(VECTOR_STREAMS.values()) == 4 * M + 19
assert sum(MARGIN_STREAMS.values()) == 12
MARGIN_STREAMS_FLINK = 15  # NodeWorker's commit still forms z_x += t z_d

# Per block of kb classes (n_block = kb*D entries): (U, B), and flink's barriers per accepted
# iteration, for each version of the code that measured runs may come from.
COUNTS = {
    # docs/benchmarks.md, "Issue 13, first slice": exponentials in the statistics and in the
    # slope's probabilities; slope in four passes; line-search partials in a pass of their own;
    # the direction with a clearing pass; four barriers (Gram entries, statistics, slope, gradient).
    'first-slice': {
        'work': lambda N, nnz, kb, n_block, m: (
            2.0 * (nnz + N) * kb,
            8.0 * ((4 * m + 26) * n_block + 14 * N * kb)),
        'barriers': 4,
    },
    # This commit's code (local): one exponential per (i, c) kept from the statistics (e), N more
    # for the slope's r; fused slope, gradient + line-search and direction passes; the commit takes
    # the trial's margins; two barriers (flink, whose commit forms the margins again: 15 streams).
    'current': {
        'work': lambda N, nnz, kb, n_block, m: (
            2.0 * nnz * kb + N * kb + N,
            8.0 * ((4 * m + 19) * n_block + 12 * N * kb)),
        'barriers': 2,
    },
}
CURRENT = 'current'


def block_sizes(K, P):
    """Classes per block: P blocks of K/P classes, the first K mod P one larger."""
    return [K // P + (1 if i < K % P else 0) for i in range(P)]


def work(N, D, K, nnz, P, m=M, code=CURRENT):
    """(U, B) per iteration of the largest block, and the block's K_b and n/P."""
    kb = math.ceil(K / P)
    n_block = kb * D
    u, b = COUNTS[code]['work'](N, nnz, kb, n_block, m)
    return u, b, kb, n_block


def machine_work(N, D, K, nnz, P, m=M, code=CURRENT):
    """(U, B) per iteration summed over all P blocks (one machine running every block)."""
    u = b = 0.0
    for kb in block_sizes(K, P):
        ub, bb = COUNTS[code]['work'](N, nnz, kb, kb * D, m)
        u += ub
        b += bb
    return u, b


def steady_seconds(steady):
    """(median s per steady iteration, (min, max) step or None) from a number or a trace list."""
    if isinstance(steady, (list, tuple)):
        steps = np.diff(steady)
        return float(np.median(steps)), (float(steps.min()), float(steps.max()))
    return float(steady), None


def memory(N, D, K, nnz, P, m=M, runner='local', blocks_here=None):
    """Bytes one JVM holds for `blocks_here` blocks (default: one worker = one block).

    The count of core MemoryPlan: working + history vectors of n/P doubles per block (local:
    2m + 6; flink: 8 + 2(m+1) = 2m + 10, the client's read-back x included), 6 margin arrays of
    N*K_b per block, the partial statistics (3N per block) and log Z (N), the data once (12 bytes a
    nonzero, 8 an example), and the JVM (64 MB local, 256 MB flink)."""
    blocks_here = 1 if blocks_here is None else blocks_here
    kb = math.ceil(K / P)
    vectors = (2 * m + 6) if runner == 'local' else (2 * m + 10)
    jvm = (64 if runner == 'local' else 256) * 2 ** 20
    parts = {
        'vectors': 8.0 * vectors * kb * D * blocks_here,
        'margins': 8.0 * (6 * N * kb * blocks_here + 3 * N * blocks_here + N),
        'data': 12.0 * nnz + 8.0 * N,
        'JVM': float(jvm),
    }
    return parts


# What an iteration streams beyond the kernel floor's own evaluation (bench's "kernel floor": the
# margins of w, the statistics and the gradient at a fixed point, nothing else), per block:
#   vectors  commit 7, Gram partials 2m+1, direction 2m+2, slope 3, and the 2 the trial gradient's
#            last pass reads beyond the floor's (x and d, g for the line search: 6 against 4)
#   margins  the trial margins z_x + t z_d (3) and the slope's probabilities (reads e and z_d,
#            writes p: 3); the margins of d, the statistics and the gradient's read of p are the
#            floor's own passes
OPT_VECTOR_STREAMS = 4 * M + 15
OPT_MARGIN_STREAMS = 6
assert OPT_VECTOR_STREAMS == sum(VECTOR_STREAMS.values()) - 4
assert OPT_MARGIN_STREAMS == sum(MARGIN_STREAMS.values()) - 6


def optimiser_bytes(N, D, K, P, m=M):
    """Bytes the optimiser streams per steady iteration beyond the floor, summed over the P blocks."""
    return sum(8.0 * ((4 * m + 15) * kb * D + OPT_MARGIN_STREAMS * N * kb)
               for kb in block_sizes(K, P))


def fit():
    print('== Per steady iteration (whole machine: all P blocks): the data work U, the kernel floor,')
    print('   the bytes the optimiser streams beyond the floor, and the time measured')
    print(f'{"set":13s} {"P":>3s} {"K_b":>4s} {"U (1e6)":>9s} {"floor s":>7s} {"a ns/unit":>9s} '
          f'{"B_opt GB":>8s} {"steady s":>8s} {"steady-floor":>12s} {"run s/eval":>10s}')
    rows = []
    for name, code, N, D, K, nnz, P, steady, secs, iters, evals, floor, _ in LOCAL_RUNS:
        u, _ = machine_work(N, D, K, nnz, P, code=code)
        t, spread = steady_seconds(steady)
        bopt = optimiser_bytes(N, D, K, P)
        rows.append((name, u, floor, bopt, t))
        run_eval = f'{secs / evals:10.3f}' if secs is not None else f'{"-":>10s}'
        detail = (f'   (iterations 7-{iters}: {spread[0]:.3f}-{spread[1]:.3f} s)'
                  if spread is not None and iters is not None else '')
        print(f'{name:13s} {P:3d} {math.ceil(K / P):4d} {u / 1e6:9.1f} {floor:7.3f} '
              f'{floor / u * 1e9:9.3f} {bopt / 1e9:8.2f} {t:8.4f} {t - floor:12.4f} {run_eval}{detail}')
    a_values = [floor / u for _, u, floor, _, _ in rows]
    a_range = (min(a_values), max(a_values))
    print()
    print(f'a = floor / U: {a_range[0] * 1e9:.2f}-{a_range[1] * 1e9:.2f} ns per unit of data work '
          '(2 threads). One a does not fit the three: the data pass of a small block (K_b = 27, W')
    print('    of 4.3 MB in the caches) runs faster per unit than one of 7 classes a nonzero (loop')
    print('    overhead) or of a 58 MB block (its rows come from memory).')
    bs = np.array([bopt for *_, bopt, _ in rows])
    extra = np.array([t - floor for _, _, floor, _, t in rows])
    b = float(bs @ extra / (bs @ bs))
    print(f'== Fit steady - floor = b * B_opt, least squares over the {len(rows)} runs')
    print(f'b = {b * 1e12:.1f} ps per byte ({1 / b / 1e9:.1f} GB/s for the machine, '
          f'{1 / (2 * b) / 1e9:.1f} per core)')
    for (name, u, floor, bopt, t) in rows:
        model = floor + b * bopt
        print(f'  {name:13s} measured {t:.4f}  floor + b*B_opt = {floor:.4f} + {b * bopt:.4f} = '
              f'{model:.4f}  residual {100 * (model - t) / t:+5.1f}%   (alone: b = '
              f'{(t - floor) / bopt * 1e12:.1f} ps)')
    if len(rows) >= 3:
        print('Leave one out (b from the others, predict this one):')
        for i, (name, u, floor, bopt, t) in enumerate(rows):
            keep = [j for j in range(len(rows)) if j != i]
            bi = float(bs[keep] @ extra[keep] / (bs[keep] @ bs[keep]))
            pred = floor + bi * bopt
            print(f'  {name:13s} predicted {pred:.4f} against {t:.4f} ({100 * (pred - t) / t:+.0f}%)'
                  f'  b = {bi * 1e12:.1f} ps')
    print()
    print('== c: flink (embedded) per barrier above local, (flink - local) / barriers per evaluation')
    cs = []
    for name, P, loc, fl, barriers, src in FLINK_PAIRS:
        c = (fl - loc) / barriers
        cs.append(c)
        print(f'  {name:13s} P={P:2d} local {loc:.3f} s/eval, flink {fl:.3f}, {barriers:.3g} barriers: '
              f'c = {1e3 * c:.1f} ms  [{src}]')
    c = float(np.mean(cs))
    print(f'c = {1e3 * c:.1f} ms per barrier (mean; range {1e3 * min(cs):.1f}-{1e3 * max(cs):.1f})')
    return a_range, b, c, (min(cs), max(cs))


def check_memory():
    print()
    print('== Memory: the count (local, every block in one JVM) against measured peak RSS')
    for name, code, N, D, K, nnz, P, *_, rss in LOCAL_RUNS:
        if rss is None:
            continue
        parts = memory(N, D, K, nnz, P, runner='local', blocks_here=P)
        total = sum(parts.values())
        detail = ', '.join(f'{k} {v / 1e9:.3f}' for k, v in parts.items())
        print(f'  {name:13s} count {total / 1e9:5.2f} GB ({detail}); measured {rss:.2f} GB '
              f'({100 * (rss - total / 1e9) / (total / 1e9):+.0f}%)')


# The paper's sets. D and K from the first author's experiment code (maryamregister/ecl-ml,
# branch L_BFGS, ML/Tests/Explanatory/softmax_lbfgs_lshtc_large.ecl: "347256 number of features,
# 12294 labels, 93805 samples"; softmax_lbfgs_lshtc_large8.ecl: "31521 classes, 346299 features"
# for wikipediamediumpreproclshtcv3-train). Not found anywhere: the nonzeros of either set, the
# examples of wikipedia-medium, the node hardware, the iteration counts. Placeholders, marked:
NNZ_PER_DOC = 194973 / 4463  # our lshtc-small preset's density (synthetic), a placeholder
WIKI_N = 456886  # a placeholder (unverified recollection of LSHTC's wikipedia-medium training set)
PAPER = [
    # name, N, D, K, nnz, P, paper's time as the issues quote it
    ('lshtc-large', 93805, 347256, 12294, round(93805 * NNZ_PER_DOC), 400, '~1 h (issue 13)'),
    ('wikipedia-medium', WIKI_N, 346299, 31521, round(WIKI_N * NNZ_PER_DOC), 400,
     '~30 min (issue 13)'),
]
ITERATIONS = 100  # the paper's count was not found; the authors' drivers cap LoopNum at 200
EXP_NS = (5.0, 20.0)  # a Math.exp on one core, assumed (not measured here)
NETWORK_GBPS = 1.25  # 10 Gb/s at the coordinator, assumed (the paper's network was not found)


def project(a_range, b, c, c_range):
    barriers = COUNTS[CURRENT]['barriers']
    print()
    print(f'== Projection: P = 400, one block per node, node = this machine (2 cores); m = {M}; '
          f'{barriers} barriers per iteration; data work at a = {a_range[0] * 1e9:.2f}-'
          f'{a_range[1] * 1e9:.2f} ns per unit')
    print(f'   placeholders: nonzeros = {NNZ_PER_DOC:.1f} per document; wikipedia-medium N = {WIKI_N:,}')
    print('   a node with T cores: the data and stream terms divide by at most T/2 (bandwidth permitting)')
    for name, N, D, K, nnz, P, paper in PAPER:
        u, _, kb, n_block = work(N, D, K, nnz, P)
        bopt = 8.0 * ((4 * M + 15) * n_block + OPT_MARGIN_STREAMS * N * kb)
        t_data_range = (a_range[0] * u, a_range[1] * u)
        t_data = t_data_range[1]
        t_vec, t_bar = b * bopt, c * barriers
        # The coordinator (parallelism 1) combines P partial statistics of N examples (one exp
        # each) and receives 3N doubles from, and broadcasts N doubles to, every node.
        comb = [P * N * e * 1e-9 for e in EXP_NS]
        net = P * N * 8 * 4 / (NETWORK_GBPS * 1e9)
        t_iter = t_data + t_vec + t_bar
        t_iter_low = t_data_range[0] + t_vec + t_bar
        print(f'-- {name}: N = {N:,}, D = {D:,}, K = {K:,} (n = {K * D / 1e9:.2f}e9), '
              f'nnz = {nnz:,} (placeholder), K_b = {kb}, n/P = {n_block / 1e6:.2f}e6')
        print(f'   per worker: data {u / 1e9:.2f}e9 units -> {t_data_range[0]:.3f}-{t_data:.3f} s; '
              f'optimiser streams {bopt / 1e9:.2f} GB -> {t_vec:.3f} s; barriers {barriers} x '
              f'{1e3 * c:.0f} ms -> {t_bar:.3f} s ({barriers * c_range[0]:.3f}-'
              f'{barriers * c_range[1]:.3f})')
        print(f'   t_iter = {t_iter_low:.2f}-{t_iter:.2f} s (data / streams = {t_data / t_vec:.1f}); '
              f'{ITERATIONS} iterations: {ITERATIONS * t_iter_low / 60:.1f}-'
              f'{ITERATIONS * t_iter / 60:.1f} min + start-up 3.5-6 s')
        print(f'   not in it, per iteration: the coordinator combine {comb[0]:.2f}-{comb[1]:.2f} s '
              f'(P*N = {P * N / 1e6:.0f}e6 exps on one core), its traffic {P * N * 32 / 1e9:.2f} GB '
              f'-> {net:.2f} s at {NETWORK_GBPS} GB/s; with both: '
              f'{ITERATIONS * (t_iter + comb[0] + net) / 60:.1f}-{ITERATIONS * (t_iter + comb[1] + net) / 60:.1f} min')
        # Sensitivities: the derivatives of a*U + b*B in nnz and in N (the current counts).
        a = a_range[1]
        per_mnnz = a * 2.0 * 1e6 * kb
        per_100k_n = a * 1e5 * (kb + 1) + b * 8.0 * OPT_MARGIN_STREAMS * 1e5 * kb
        print(f'   sensitivity: each 1e6 nonzeros adds {per_mnnz:.3f} s per iteration; each 100,000 '
              f'examples {per_100k_n:.3f} s (+ {P * 1e5 * EXP_NS[0] * 1e-9:.2f}-'
              f'{P * 1e5 * EXP_NS[1] * 1e-9:.2f} s combine, {P * 1e5 * 32 / (NETWORK_GBPS * 1e9):.2f} s traffic)')
        # compute shrinks as 1/P, the coordinator grows as P: t(P) ~ W/P + k*P + barriers
        w_all = P * (t_data + t_vec)
        ks = [N * (e * 1e-9 + 32 / (NETWORK_GBPS * 1e9)) for e in EXP_NS]
        best = [math.sqrt(w_all / k) for k in ks]
        print(f'   with one coordinator, t(P) = {w_all:.0f} s/P + ({1e3 * ks[0]:.1f}-{1e3 * ks[1]:.1f} ms)*P '
              f'+ barriers is least at P = {best[1]:.0f}-{best[0]:.0f}')
        print(f'   the paper (as issue 13 quotes it): {paper}')
        for runner in ('local', 'flink'):
            parts = memory(N, D, K, nnz, P, runner=runner)
            total = sum(parts.values())
            detail = ', '.join(f'{k} {v / 1e9:.2f}' for k, v in parts.items())
            print(f'   memory per worker ({runner:5s}): {total / 1e9:.2f} GB ({detail}); '
                  f'paper (2m+2)n/P*8 = {8 * (2 * M + 2) * n_block / 1e9:.2f} GB')


def main():
    print(f'Vector streams per steady iteration, {CURRENT} code (n/P doubles each):')
    for k, v in VECTOR_STREAMS.items():
        print(f'  {v:2d}  {k}')
    print(f'  {sum(VECTOR_STREAMS.values()):2d}  in all (4m + 19, m = {M}; first slice 4m + 26)')
    print('Margin streams (N*K_b doubles each):')
    for k, v in MARGIN_STREAMS.items():
        print(f'  {v:2d}  {k}')
    print(f'  {sum(MARGIN_STREAMS.values()):2d}  in all (flink {MARGIN_STREAMS_FLINK}; first slice 14)')
    print()
    a_range, b, c, c_range = fit()
    check_memory()
    project(a_range, b, c, c_range)


if __name__ == '__main__':
    main()

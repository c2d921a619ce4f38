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
# The rows below: AMD EPYC, 2 cores, OpenJDK 17, `bench --runners kernel,local` at the commit of
# docs/benchmarks.md, "Issue 13, first slice", table "Measured side by side" (rows "new"; the
# commands are there). steady: the seconds column (cumulative) of the run's DIR/local/trace.csv
# from iteration 6 to the last: the history fills during iterations 1-6 and from iteration 7 on no
# vector is allocated (LocalExecutorTest.allocatesNoVectorsOnceTheHistoryIsFull); each of these
# iterations took one evaluation (step 1, accepted).
LOCAL_RUNS = [
    # name, code, N, D, K, nnz, P, steady, run_s, iterations, evaluations, floor_s, rss_gb
    ('text-63k', 'first-slice', 63550, 20000, 53, 498718, 2,
     [2.195, 2.274, 2.353, 2.431, 2.506, 2.582, 2.674, 2.778, 2.867, 2.954, 3.039],
     3.046, 16, 21, 0.115, 0.49),
    ('synth-medium', 'first-slice', 20000, 50000, 100, 1194761, 16,
     [4.331, 4.637, 4.953, 5.287, 5.592, 5.891, 6.193, 6.524, 6.850, 7.164, 7.669],
     7.679, 16, 21, 0.200, 1.07),
    ('lshtc-small', 'first-slice', 4463, 51033, 1139, 194973, 8,
     [35.097, 36.125, 37.104, 38.124, 39.136, 40.148, 41.158, 42.188, 43.278, 44.326, 45.317,
      46.341, 47.421, 48.432, 49.503, 50.531],
     50.561, 21, 26, 0.313, 7.24),
]

# FLINK_PAIRS: flink embedded against local in the same bench command. Columns:
#   name, P       the set and --partitions
#   local_s       local, seconds per evaluation after the first (bench's column of that name)
#   flink_s       flink (embedded), the same column of the same bench command
#   barriers      the flink run's barriers per evaluation over the same evaluations:
#                 barriers_after_first(barrierSupersteps, evaluations) from its summary.json
#                 (2 for an evaluation whose trial is accepted and pushed; more for rejected trials
#                 and dropped speculative Gram entries). The rows below ran the four-barrier code.
#   source        where the numbers come from
# c = (flink_s - local_s) / barriers per pair.
FLINK_PAIRS = [
    # name, P, local_s, flink_s, barriers, source
    ('text-63k', 2, (3.869 - 0.317) / 20, (12.909 - 4.890) / 20, 4,
     'benchmarks.md "scikit-learn and Flink on text-63k" (trace.csv, iterations 0 -> 16)'),
    ('synth-medium', 16, 0.349, 0.515, 4,
     'benchmarks.md synth-medium table of 2026-11-22 ("after the first" column)'),
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
MARGIN_STREAMS = {
    'commit z_x += t z_d (2 reads, 1 write)': 3,
    'margins of d into a reused array (fill, row read, row write)': 3,
    'trial margins z_x + t z_d (2 reads, 1 write)': 3,
    'partial statistics of the trial (reads z_t, writes the kept e)': 2,
    'slope: reads e, writes p = e*r over it, reads z_d': 3,
    'gradient reads the kept p': 1,
}
assert sum(VECTOR_STREAMS.values()) == 4 * M + 19
assert sum(MARGIN_STREAMS.values()) == 15

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
    # This commit's code: one exponential per (i, c) kept from the statistics (e), N more for the
    # slope's r; fused slope, gradient + line-search and direction passes; two barriers.
    'current': {
        'work': lambda N, nnz, kb, n_block, m: (
            2.0 * nnz * kb + N * kb + N,
            8.0 * ((4 * m + 19) * n_block + 15 * N * kb)),
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


def fit():
    print('== Work per steady iteration (whole machine: all P blocks), and the time measured')
    print(f'{"set":13s} {"code":11s} {"P":>3s} {"K_b":>4s} {"U (1e6)":>9s} {"B (GB)":>7s} '
          f'{"steady s/iter":>13s} {"run s/iter":>10s} {"run s/eval":>10s} {"floor s":>7s}')
    print('(steady: the median of the iterations after the history is full; U and B with the '
          'counts of the code each run measured)')
    rows, y, whole = [], [], []
    for name, code, N, D, K, nnz, P, steady, secs, iters, evals, floor, _ in LOCAL_RUNS:
        u, bb = machine_work(N, D, K, nnz, P, code=code)
        t, spread = steady_seconds(steady)
        rows.append((u, bb))
        y.append(t)
        if secs is not None:
            whole.append((len(rows) - 1, secs / iters))
        run_iter = f'{secs / iters:10.3f}' if secs is not None else f'{"-":>10s}'
        run_eval = f'{secs / evals:10.3f}' if secs is not None else f'{"-":>10s}'
        floor_s = f'{floor:7.3f}' if floor is not None else f'{"-":>7s}'
        detail = (f'   (iterations 7-{iters}: {spread[0]:.3f}-{spread[1]:.3f} s)'
                  if spread is not None and iters is not None else '')
        print(f'{name:13s} {code:11s} {P:3d} {math.ceil(K / P):4d} {u / 1e6:9.1f} {bb / 1e9:7.2f} '
              f'{t:13.4f} {run_iter} {run_eval} {floor_s}{detail}')
    A = np.array(rows)
    y = np.array(y)
    (a, b), *_ = np.linalg.lstsq(A, y, rcond=None)
    pred = A @ np.array([a, b])
    print()
    print(f'== Fit t = a*U + b*B, least squares over the {len(y)} steady-state medians')
    print(f'a = {a * 1e9:.3f} ns per unit of data work (2 threads; {2 * a * 1e9:.2f} ns per core)')
    print(f'b = {b * 1e12:.2f} ps per byte streamed (2 threads: {1 / b / 1e9:.1f} GB/s effective; '
          f'{1 / (2 * b) / 1e9:.1f} GB/s per core)')
    for (name, *_), yi, pi, (u, bb) in zip(LOCAL_RUNS, y, pred, rows):
        print(f'  {name:13s} measured {yi:.4f}  model {pi:.4f}  residual {100 * (pi - yi) / yi:+5.1f}%'
              f'   (data {a * u:.3f} s, streams {b * bb:.3f} s)')
    if len(y) >= 3:
        print('Leave one out (fit the others, predict this one):')
        for i, (name, *_) in enumerate(LOCAL_RUNS):
            keep = [j for j in range(len(y)) if j != i]
            coef, *_ = np.linalg.lstsq(A[keep], y[keep], rcond=None)
            p = A[i] @ coef
            print(f'  {name:13s} predicted {p:.4f} against {y[i]:.4f} ({100 * (p - y[i]) / y[i]:+.0f}%)'
                  f'  a = {coef[0] * 1e9:.2f} ns, b = {coef[1] * 1e12:.1f} ps')
    if len(whole) >= 2:
        idx = [i for i, _ in whole]
        y_run = np.array([t for _, t in whole])
        (a2, b2), *_ = np.linalg.lstsq(A[idx], y_run, rcond=None)
        res2 = (A[idx] @ np.array([a2, b2]) - y_run) / y_run
        print('The same fit to whole-run averages (seconds / iterations, start and history fill-up '
              'included):')
        print(f'  a = {a2 * 1e9:.3f} ns, b = {b2 * 1e12:.1f} ps/B; residuals '
              + ', '.join(f'{100 * r:+.0f}%' for r in res2))
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
    codes = sorted({row[1] for row in LOCAL_RUNS})
    if codes != [CURRENT]:
        print(f'Note: the fitted runs are of the {" and ".join(codes)} code; the projection applies '
              f'the {CURRENT} counts and {COUNTS[CURRENT]["barriers"]} barriers to these constants.')
    return a, b, c, (min(cs), max(cs))


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


def project(a, b, c, c_range):
    barriers = COUNTS[CURRENT]['barriers']
    print()
    print(f'== Projection: P = 400, one block per node, node = this machine (2 cores); m = {M}; '
          f'the {CURRENT} counts, {barriers} barriers per iteration')
    print(f'   placeholders: nonzeros = {NNZ_PER_DOC:.1f} per document; wikipedia-medium N = {WIKI_N:,}')
    print('   a node with T cores: the data and stream terms divide by at most T/2 (bandwidth permitting)')
    for name, N, D, K, nnz, P, paper in PAPER:
        u, bb, kb, n_block = work(N, D, K, nnz, P)
        t_data, t_vec, t_bar = a * u, b * bb, c * barriers
        # The coordinator (parallelism 1) combines P partial statistics of N examples (one exp
        # each) and receives 3N doubles from, and broadcasts N doubles to, every node.
        comb = [P * N * e * 1e-9 for e in EXP_NS]
        net = P * N * 8 * 4 / (NETWORK_GBPS * 1e9)
        t_iter = t_data + t_vec + t_bar
        print(f'-- {name}: N = {N:,}, D = {D:,}, K = {K:,} (n = {K * D / 1e9:.2f}e9), '
              f'nnz = {nnz:,} (placeholder), K_b = {kb}, n/P = {n_block / 1e6:.2f}e6')
        print(f'   per worker: data {u / 1e9:.2f}e9 units -> {t_data:.3f} s; streams '
              f'{bb / 1e9:.2f} GB -> {t_vec:.3f} s; barriers {barriers} x {1e3 * c:.0f} ms -> '
              f'{t_bar:.3f} s ({barriers * c_range[0]:.3f}-{barriers * c_range[1]:.3f})')
        print(f'   t_iter = {t_iter:.2f} s (data / streams = {t_data / t_vec:.1f}); '
              f'{ITERATIONS} iterations: {ITERATIONS * t_iter / 60:.1f} min + start-up 3.5-6 s')
        print(f'   not in it, per iteration: the coordinator combine {comb[0]:.2f}-{comb[1]:.2f} s '
              f'(P*N = {P * N / 1e6:.0f}e6 exps on one core), its traffic {P * N * 32 / 1e9:.2f} GB '
              f'-> {net:.2f} s at {NETWORK_GBPS} GB/s; with both: '
              f'{ITERATIONS * (t_iter + comb[0] + net) / 60:.1f}-{ITERATIONS * (t_iter + comb[1] + net) / 60:.1f} min')
        # Sensitivities: the derivatives of a*U + b*B in nnz and in N (the current counts).
        per_mnnz = a * 2.0 * 1e6 * kb
        per_100k_n = a * 1e5 * (kb + 1) + b * 8.0 * 15 * 1e5 * kb
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
    print(f'  {sum(MARGIN_STREAMS.values()):2d}  in all (first slice 14)')
    print()
    a, b, c, c_range = fit()
    check_memory()
    project(a, b, c, c_range)


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""scikit-learn peer of `bench` (issue 13): LogisticRegression(solver="lbfgs") on this project's
softmax objective, run by `bench --runners ...,sklearn` as a child process (BenchCommand and
SklearnPeer on the Java side; docs/benchmarks.md, "scikit-learn beside bench").

The problem, as ../shared/data/REFERENCE.md states it: W is K x D (no bias), the classes are the
distinct labels in ascending order, D is the largest feature index (passed as --features), and

    f(W) = (1/N) sum_i [ log sum_k exp(w_k . x_i) - w_{y_i} . x_i ] + (lambda/2) ||W||_F^2.

scikit-learn's LogisticRegression minimises C sum_i NLL_i + (1/2)||W||^2 (1.4 and later divide
that by C N before handing it to L-BFGS-B), which is N C times f when C = 1/(N lambda): the same
minimiser. For K > 2 the lbfgs solver fits the multinomial model with one weight vector per class,
W itself. For K = 2 it fits ONE vector w with P(y = classes_[1]) = sigmoid(w . x) and penalty
(1/2)||w||^2. Softmax with w_0 = -w/2, w_1 = w/2 gives the same probabilities, and for any W the
pair (-v/2, v/2), v = w_1 - w_0, has the same loss and the smallest penalty, (lambda/4)||v||^2; so
the binary problem is f's with C = 2/(N lambda), and W = [-coef/2, coef/2] is f's minimiser.

Modes (each writes DIR/summary.json; the fits also DIR/weights.bin, W as K x D little-endian
float64, row-major, rows in class order):

  --ensure                 the install step alone: finds an interpreter that imports scikit-learn
                           or installs it (ensure_scikit_learn), and prints 'sklearn-peer python
                           PATH' last. Exit 3, with one line, if it cannot.
  --data FILE ...          one fit to --tolerance / --max-iterations, as a user would run it:
                           loadSeconds, fitSeconds (LogisticRegression.fit), iterations (n_iter_),
                           evaluations and stopMessage (from scipy's result, when it can be seen),
                           objective (f of W, computed here with NumPy), peakRssBytes.
  --data FILE ... --target F --upper N
                           time to target: the smallest max_iter k <= N whose fit ends at f <= F,
                           found by bisection (f does not increase along L-BFGS-B's iterations, and
                           a fit limited to k iterations follows the first k iterations of a longer
                           one); writes that fit's W and its fitSeconds as secondsToTarget.

Usage (bench does this; by hand, from the repository root):
    python3 sklearn_peer.py --ensure
    python3 sklearn_peer.py --data ../shared/data/heart_scale.libsvm --features 13 \\
        --lambda 0.01 --tolerance 1e-6 --max-iterations 500 --threads 2 --output /tmp/sk
"""
import os
import sys

# OpenMP (scikit-learn's loss) and BLAS read their thread counts when they are loaded, so
# --threads must act before numpy is imported.
for _i, _a in enumerate(sys.argv):
    if _a == '--threads' and _i + 1 < len(sys.argv):
        os.environ['OMP_NUM_THREADS'] = os.environ['OPENBLAS_NUM_THREADS'] = sys.argv[_i + 1]

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

PYTHON_LINE = 'sklearn-peer python '
IMPORT_CHECK = 'import numpy, scipy, sklearn; print(sklearn.__version__)'
# Debian's interpreter, where the python3-sklearn package installs, when python3 is another one.
DEBIAN_PYTHON = '/usr/bin/python3'


def say(message):
    print('sklearn peer: ' + message, file=sys.stderr, flush=True)


def fail(message, status):
    """Ends the process with one line on stderr."""
    say(message)
    sys.exit(status)


def venv_directory():
    cache = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(cache, 'lbfgs-beam', 'sklearn-venv')


def sklearn_version(python):
    """scikit-learn's version as `python` imports it, or None when it does not."""
    try:
        done = subprocess.run([python, '-c', IMPORT_CHECK], capture_output=True, text=True,
                              timeout=300)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def ensure_scikit_learn():
    """The interpreter to run the peer with: the first of this one, the peer's virtual environment
    and Debian's /usr/bin/python3 that imports numpy, scipy and scikit-learn; failing those,
    scikit-learn is installed into the virtual environment (python -m venv --system-site-packages,
    so the system's NumPy and SciPy are used as they are, then pip install scikit-learn) and that
    interpreter is returned. Says what it does on stderr; exits 3 with one line if pip fails."""
    venv = venv_directory()
    venv_python = os.path.join(venv, 'bin', 'python')
    candidates = [sys.executable, venv_python]
    if os.path.realpath(sys.executable) != os.path.realpath(DEBIAN_PYTHON):
        candidates.append(DEBIAN_PYTHON)
    for python in candidates:
        if os.path.exists(python):
            version = sklearn_version(python)
            if version is not None:
                say('using %s (scikit-learn %s)' % (python, version))
                return python
    steps = [('creating the virtual environment ' + venv,
              [sys.executable, '-m', 'venv', '--system-site-packages', venv]),
             ('pip install scikit-learn into ' + venv,
              [venv_python, '-m', 'pip', 'install', '--disable-pip-version-check', '-q',
               'scikit-learn'])]
    say('scikit-learn is not importable by %s; installing it: %s' % (
        ', '.join(candidates), ' && '.join(' '.join(command) for _, command in steps)))
    for what, command in steps:
        try:
            done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True)
        except OSError as e:
            fail('%s: cannot run %s: %s' % (what, command[0], e), 3)
        if done.returncode != 0:
            lines = [l.strip() for l in done.stdout.splitlines() if l.strip()]
            fail('%s failed (exit %d): %s' % (what, done.returncode,
                                              lines[-1] if lines else 'no output'), 3)
    version = sklearn_version(venv_python)
    if version is None:
        fail('pip installed scikit-learn into %s, but %s cannot import it' % (venv, venv_python),
             3)
    say('installed scikit-learn %s into %s' % (version, venv))
    return venv_python


# ---------------------------------------------------------------- the problem
def load(path, features):
    """X (N x D CSR), y (N class indices 0..K-1) and the sorted distinct labels."""
    import numpy as np
    from sklearn.datasets import load_svmlight_file
    try:
        x, labels = load_svmlight_file(path, n_features=features, zero_based=False)
    except ValueError as e:
        # A multi-label line ('5,3 1:1') is one: scikit-learn sorts such labels, so the first,
        # which this project keeps, cannot be recovered.
        fail('cannot read %s with load_svmlight_file (single-label LIBSVM files only): %s'
             % (path, e), 2)
    classes, y = np.unique(labels, return_inverse=True)
    return x, y, classes


def objective(x, y, w, lam):
    """f(W), W K x D, in float64: the max-shifted log-sum-exp of the margins Z = X W^T (N x K)."""
    import numpy as np
    z = np.asarray(x @ w.T)
    top = z.max(axis=1)
    log_z = top + np.log(np.exp(z - top[:, None]).sum(axis=1))
    return float(np.mean(log_z - z[np.arange(z.shape[0]), y]) + 0.5 * lam * np.sum(w * w))


class Fit:
    """One LogisticRegression fit: W in class order (K x D), seconds, iterations and, when scipy's
    result could be seen, its evaluation count and message."""

    def __init__(self, x, y, classes, lam, tolerance, max_iter):
        import numpy as np
        from scipy import optimize
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression
        n = x.shape[0]
        binary = len(classes) == 2
        c = (2.0 if binary else 1.0) / (n * lam)
        model = LogisticRegression(solver='lbfgs', fit_intercept=False, C=c, tol=tolerance,
                                   max_iter=max_iter)
        # Read-only: keeps scipy's OptimizeResult (nfev, message), which scikit-learn drops.
        results = []
        minimize = optimize.minimize

        def keeping_result(*args, **kwargs):
            result = minimize(*args, **kwargs)
            results.append(result)
            return result

        optimize.minimize = keeping_result
        try:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore', ConvergenceWarning)
                started = time.perf_counter()
                model.fit(x, y)
                self.seconds = time.perf_counter() - started
        finally:
            optimize.minimize = minimize
        coef = np.asarray(model.coef_, dtype=np.float64)
        self.w = np.vstack([-coef / 2, coef / 2]) if binary else coef
        self.c = c
        self.iterations = int(np.max(model.n_iter_))
        result = results[-1] if len(results) == 1 else None
        self.evaluations = int(result.nfev) if result is not None else None
        self.stop_message = str(result.message) if result is not None else None

    def write(self, directory):
        self.w.astype('<f8').tofile(os.path.join(directory, 'weights.bin'))


def peak_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--ensure', action='store_true')
    p.add_argument('--data')
    p.add_argument('--features', type=int)
    p.add_argument('--lambda', dest='lam', type=float)
    p.add_argument('--tolerance', type=float, default=1e-6)
    p.add_argument('--max-iterations', type=int, default=500)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--target', type=float)
    p.add_argument('--upper', type=int)
    p.add_argument('--output')
    a = p.parse_args()
    if a.ensure:
        print(PYTHON_LINE + ensure_scikit_learn(), flush=True)
        return
    if a.data is None or a.features is None or a.lam is None or a.output is None:
        p.error('--data, --features, --lambda and --output are required')
    if not a.lam > 0:
        p.error('--lambda must be positive (C = 1/(N lambda)), but was: %s' % a.lam)

    import numpy as np
    import scipy
    import sklearn
    os.makedirs(a.output, exist_ok=True)
    started = time.perf_counter()
    x, y, classes = load(a.data, a.features)
    load_seconds = time.perf_counter() - started
    if len(classes) < 2:
        fail('LogisticRegression needs at least 2 classes, but %s has %d' % (a.data, len(classes)),
             2)
    summary = {
        'sklearnVersion': sklearn.__version__, 'numpyVersion': np.__version__,
        'scipyVersion': scipy.__version__, 'python': sys.executable,
        'data': os.path.abspath(a.data), 'examples': x.shape[0], 'features': x.shape[1],
        'classes': len(classes), 'nonzeros': int(x.nnz),
        'classLabels': [int(v) if float(v).is_integer() else float(v) for v in classes],
        'lambda': a.lam, 'tolerance': a.tolerance, 'threads': a.threads,
        'loadSeconds': load_seconds}

    if a.target is None:
        fit = Fit(x, y, classes, a.lam, a.tolerance, a.max_iterations)
        fit.write(a.output)
        summary.update({
            'C': fit.c, 'maxIterations': a.max_iterations, 'fitSeconds': fit.seconds,
            'iterations': fit.iterations, 'evaluations': fit.evaluations,
            'stopMessage': fit.stop_message, 'objective': objective(x, y, fit.w, a.lam)})
    else:
        if a.upper is None or a.upper < 1:
            p.error('--target needs --upper N >= 1, the iterations of a fit that reached it')
        # Invariant: the fit limited to hi iterations reaches the target (checked first), and
        # every limit below lo does not.
        lo, hi = 1, a.upper
        best = Fit(x, y, classes, a.lam, a.tolerance, hi)
        probes = [(hi, best.seconds, objective(x, y, best.w, a.lam))]
        if probes[0][2] > a.target:
            fail('a fit limited to %d iterations ends at f = %r, above the target %r'
                 % (hi, probes[0][2], a.target), 4)
        while lo < hi:
            mid = (lo + hi) // 2
            fit = Fit(x, y, classes, a.lam, a.tolerance, mid)
            f = objective(x, y, fit.w, a.lam)
            probes.append((mid, fit.seconds, f))
            if f <= a.target:
                hi, best = mid, fit
            else:
                lo = mid + 1
        best.write(a.output)
        summary.update({
            'target': a.target, 'upper': a.upper, 'iterationsToTarget': hi,
            'secondsToTarget': best.seconds, 'evaluationsToTarget': best.evaluations,
            'objective': objective(x, y, best.w, a.lam), 'stopMessage': best.stop_message,
            'probes': [{'maxIterations': k, 'fitSeconds': s, 'objective': f}
                       for k, s, f in probes]})
    summary['peakRssBytes'] = peak_rss_bytes()
    with open(os.path.join(a.output, 'summary.json'), 'w') as out:
        json.dump(summary, out, indent=2)
        out.write('\n')


if __name__ == '__main__':
    main()

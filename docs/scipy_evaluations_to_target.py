#!/usr/bin/env python3
"""SciPy's L-BFGS-B on the project's softmax objective: evaluations and iterations until
f <= f*(1+1e-6), the count shared/data/REFERENCE.md gives only in iterations.

    python3 docs/scipy_evaluations_to_target.py FILE LAMBDA FSTAR [--history 5]

Reads LIBSVM with the project's conventions (labels mapped to classes 0..K-1 in sorted label
order, the first label of a multi-label line, D = the largest feature index, 1-based), starts at
W = 0 and minimises f(W) = (1/N) sum_i [log sum_k exp(w_k.x_i) - w_{y_i}.x_i] + (lambda/2)||W||^2
with scipy.optimize.minimize(method='L-BFGS-B', options maxcor=m, gtol=1e-12, ftol=0). Every call
of the objective is one evaluation (L-BFGS-B asks for f and g together).
"""
import argparse
import sys
import time

import numpy as np
import scipy
import scipy.sparse as sp
from scipy.optimize import minimize


def read_libsvm(path):
    labels, rows, cols, vals = [], [], [], []
    for n, line in enumerate(open(path)):
        line = line.split('#', 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        labels.append(float(parts[0].split(',')[0]))
        r = len(labels) - 1
        for item in parts[1:]:
            i, v = item.split(':')
            rows.append(r)
            cols.append(int(i) - 1)
            vals.append(float(v))
    classes = sorted(set(labels))
    index = {c: k for k, c in enumerate(classes)}
    y = np.array([index[c] for c in labels])
    d = max(cols) + 1
    x = sp.csr_matrix((vals, (rows, cols)), shape=(len(labels), d))
    return x, y, len(classes)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('file')
    p.add_argument('lam', type=float)
    p.add_argument('fstar', type=float)
    p.add_argument('--history', type=int, default=5)
    a = p.parse_args()
    x, y, k = read_libsvm(a.file)
    n, d = x.shape
    onehot = sp.csr_matrix((np.ones(n), (np.arange(n), y)), shape=(n, k))
    target = a.fstar * (1 + 1e-6)
    log = []

    def f(w):
        wm = w.reshape(k, d)
        z = np.asarray(x @ wm.T)
        zmax = z.max(axis=1, keepdims=True)
        e = np.exp(z - zmax)
        s = e.sum(axis=1, keepdims=True)
        lse = (np.log(s) + zmax).ravel()
        value = (lse.sum() - z[np.arange(n), y].sum()) / n + a.lam / 2 * (w @ w)
        p_ = e / s
        g = (np.asarray((x.T @ (p_ - onehot)).T) / n + a.lam * wm).ravel()
        log.append((value, time.time()))
        return value, g

    iterations = [0]
    first_iteration = [None]

    def callback(intermediate_result):
        iterations[0] += 1
        if first_iteration[0] is None and intermediate_result.fun <= target:
            first_iteration[0] = iterations[0]

    start = time.time()
    r = minimize(f, np.zeros(k * d), jac=True, method='L-BFGS-B', callback=callback,
                 options={'maxcor': a.history, 'gtol': 1e-12, 'ftol': 0, 'maxiter': 10000,
                          'maxfun': 100000})
    first_eval = next((i + 1 for i, (v, _) in enumerate(log) if v <= target), None)
    print(f'scipy {scipy.__version__}, {a.file}: N={n} D={d} K={k} lambda={a.lam} m={a.history}')
    print(f'evaluations to f*(1+1e-6): {first_eval}   iterations to f*(1+1e-6): {first_iteration[0]}')
    print(f'to convergence: {r.nit} iterations, {r.nfev} evaluations, f = {r.fun!r}, '
          f'{time.time() - start:.1f} s ({r.message})')


if __name__ == '__main__':
    sys.exit(main())

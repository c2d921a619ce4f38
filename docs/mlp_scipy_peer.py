#!/usr/bin/env python3
"""SciPy peer of the project's MLP trainer: scipy.optimize.fmin_l_bfgs_b on a NumPy multilayer
perceptron -- the serial form of Ray's "batch L-BFGS" example (full-batch loss and gradient,
optionally summed over K batches, handed to SciPy's L-BFGS-B).

Model: x -> [W_l a + b_l, activation] for each hidden layer -> W_L a + b_L -> softmax.
Parameter vector theta, layer by layer: W_l (out x in, row-major) then b_l (out).
Objective, over the N training examples (x_i, y_i), with lambda = --lambda:

    f(theta) = (1/N) sum_i [ logsumexp_k z_k(x_i) - z_{y_i}(x_i) ] + (lambda/2) sum_l ||W_l||_F^2

where z(x) are the output logits; the penalty covers weights only, never biases. All float64;
one evaluation is one call returning (f, g) together (Ray's example passes loss and gradient
separately, fprime=full_grad, so there each point costs two passes). Start:
He normal N(0, 2/fan_in) for relu, Glorot uniform U(+-sqrt(6/(fan_in+fan_out))) for tanh and
sigmoid, biases 0, from numpy default_rng(--seed); or --theta0 FILE, raw little-endian float64.
L-BFGS-B runs with m=--history, maxiter=--max-iterations, factr=10, pgtol=1e-5 (so it mostly
runs to maxiter), maxfun=15000 (SciPy's default), no bounds. Timing: seconds is the wall time of
the fmin_l_bfgs_b call (data loading and accuracies excluded); secondsPerEvaluation = seconds /
evaluations; secondsPerEvaluationInObjective = time inside the objective / evaluations.

Data: IDX files (gzipped or plain; pixels v/255.0; labels beside the images file, 'images-idx3'
replaced by 'labels-idx1') or LIBSVM text ('label idx:val ...', 1-based indices, held dense).
Labels map to classes 0..K-1 in sorted order of the distinct training label values. --train and
--test default to Fashion-MNIST in /usr/share/datasets/fashion-mnist/ (--test none: no test).

Usage (from the repository root):
    python3 docs/mlp_scipy_peer.py --self-test
    python3 docs/mlp_scipy_peer.py --eval-only 3 --threads 2      # speed at theta0 only
    python3 docs/mlp_scipy_peer.py --hidden 256 --activation relu --max-iterations 500 \\
        --threads 2 --output /tmp/mlp.json
    python3 docs/mlp_scipy_peer.py --train data.libsvm --test none --hidden 256,128 \\
        --activation tanh --theta0 theta0.bin
"""
import os
import sys


# BLAS reads its thread count when it is loaded, so --threads must act before numpy is imported.
for _i, _a in enumerate(sys.argv):
    _n = _a.split('=', 1)[1] if _a.startswith('--threads=') else (
        sys.argv[_i + 1] if _a == '--threads' and _i + 1 < len(sys.argv) else None)
    if _n is not None:
        os.environ['OPENBLAS_NUM_THREADS'] = os.environ['OMP_NUM_THREADS'] = _n

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from scipy.optimize import fmin_l_bfgs_b  # noqa: E402

FASHION = '/usr/share/datasets/fashion-mnist/'


# ---------------------------------------------------------------- data
def _open(path):
    with open(path, 'rb') as fh:
        gz = fh.read(2) == b'\x1f\x8b'
    return gzip.open(path, 'rb') if gz else open(path, 'rb')


def read_idx(path):
    with _open(path) as fh:
        data = fh.read()
    if data[:3] != b'\x00\x00\x08':
        raise ValueError(f'{path}: not an unsigned-byte IDX file')
    nd = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], 'big') for i in range(nd))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * nd).reshape(shape)


def read_libsvm(path):
    labels, rows, cols, vals = [], [], [], []
    with _open(path) as fh:
        for line in fh:
            line = line.decode().split('#', 1)[0].split()
            if not line:
                continue
            labels.append(float(line[0].split(',')[0]))
            for item in line[1:]:
                i, v = item.split(':')
                rows.append(len(labels) - 1)
                cols.append(int(i) - 1)
                vals.append(float(v))
    x = np.zeros((len(labels), max(cols) + 1 if cols else 0))
    x[rows, cols] = vals
    return x, np.array(labels)


def load(path, dim=None):
    """Returns dense float64 features and raw label values (dim pads/trims LIBSVM columns)."""
    with _open(path) as fh:
        idx = fh.read(3) == b'\x00\x00\x08'  # IDX magic, unsigned-byte data
    if idx:
        if 'images-idx3' not in path:
            raise ValueError(f'{path}: IDX images file name must contain images-idx3')
        images, labels = read_idx(path), read_idx(path.replace('images-idx3', 'labels-idx1'))
        return images.reshape(len(images), -1) / 255.0, labels.astype(np.float64)
    x, y = read_libsvm(path)
    if dim is not None and x.shape[1] != dim:
        x = np.pad(x, ((0, 0), (0, max(0, dim - x.shape[1]))))[:, :dim]
    return x, y


# ---------------------------------------------------------------- model
ACT = {  # activation, and its derivative written in terms of (z, a = activation(z))
    'relu': (lambda z: np.maximum(z, 0.0), lambda z, a: z > 0),
    'tanh': (np.tanh, lambda z, a: 1.0 - a * a),
    'sigmoid': (lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)), lambda z, a: a * (1.0 - a)),
}


class MLP:
    def __init__(self, sizes, activation, lam):
        self.sizes, self.activation, self.lam = sizes, activation, lam
        self.act, self.dact = ACT[activation]
        self.shapes = list(zip(sizes[1:], sizes[:-1]))  # (out, in) per layer
        self.size = sum(o * i + o for o, i in self.shapes)

    def unpack(self, theta):
        layers, p = [], 0
        for o, i in self.shapes:  # views, not copies
            layers.append((theta[p:p + o * i].reshape(o, i), theta[p + o * i:p + o * i + o]))
            p += o * i + o
        return layers

    def init(self, rng):
        parts = []
        for o, i in self.shapes:
            r = np.sqrt(6.0 / (i + o))
            w = (rng.normal(0.0, np.sqrt(2.0 / i), size=(o, i)) if self.activation == 'relu'
                 else rng.uniform(-r, r, size=(o, i)))
            parts += [w.ravel(), np.zeros(o)]
        return np.concatenate(parts)

    def forward(self, layers, x):
        """Layer inputs [x, a_1, ..., a_{L-1}] and pre-activations [z_1, ..., z_L] (logits)."""
        acts, zs = [x], []
        for l, (w, b) in enumerate(layers):
            zs.append(acts[-1] @ w.T + b)
            if l < len(layers) - 1:
                acts.append(self.act(zs[-1]))
        return acts, zs

    def batch_loss_grad(self, layers, x, y, n_total, grads):
        """Adds this batch's share of the mean cross-entropy gradient to grads; returns its loss."""
        acts, zs = self.forward(layers, x)
        z = zs[-1] - zs[-1].max(axis=1, keepdims=True)
        lse = np.log(np.exp(z).sum(axis=1))
        rows = np.arange(len(y))
        loss = (lse - z[rows, y]).sum() / n_total
        delta = np.exp(z - lse[:, None])
        delta[rows, y] -= 1.0
        delta /= n_total
        for l in range(len(layers) - 1, -1, -1):
            gw, gb = grads[l]
            gw += delta.T @ acts[l]
            gb += delta.sum(axis=0)
            if l > 0:
                delta = (delta @ layers[l][0]) * self.dact(zs[l - 1], acts[l])
        return loss

    def loss_grad(self, theta, x, y, batches=1):
        layers = self.unpack(theta)
        g = np.zeros_like(theta)
        grads = self.unpack(g)  # views into g
        f = 0.0
        for idx in np.array_split(np.arange(len(y)), batches):
            xb, yb = (x, y) if batches == 1 else (x[idx], y[idx])
            f += self.batch_loss_grad(layers, xb, yb, len(y), grads)
        for (w, _), (gw, _) in zip(layers, grads):
            f += 0.5 * self.lam * float(np.sum(w * w))
            gw += self.lam * w
        return f, g

    def accuracy(self, theta, x, y, chunk=10000):
        layers = self.unpack(theta)
        hits = sum(int((self.forward(layers, x[s:s + chunk])[1][-1].argmax(axis=1)
                        == y[s:s + chunk]).sum()) for s in range(0, len(y), chunk))
        return hits / len(y)


# ---------------------------------------------------------------- self-test
def self_test():
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(20, 5)), rng.integers(0, 3, size=20)
    ok = True
    for activation in ACT:
        net = MLP([5, 4, 3, 3], activation, lam=0.1)
        theta = net.init(rng) + 0.1 * rng.normal(size=net.size)  # non-zero biases too
        f, g = net.loss_grad(theta, x, y)
        h, fd = 1e-6, np.empty_like(theta)
        for j, e in enumerate(np.eye(net.size) * h):
            fd[j] = (net.loss_grad(theta + e, x, y)[0] - net.loss_grad(theta - e, x, y)[0]) / (2 * h)
        rel = np.linalg.norm(g - fd) / max(np.linalg.norm(g) + np.linalg.norm(fd), 1e-300)
        fb, gb = net.loss_grad(theta, x, y, batches=3)
        same = abs(fb - f) <= 1e-12 * abs(f) and np.allclose(gb, g, rtol=1e-12, atol=1e-15)
        passed = rel < 1e-6 and same
        ok &= passed
        print(f'{activation:8s} params={net.size} f={f:.10f} |g|={np.linalg.norm(g):.3e} '
              f'rel.err(central diff)={rel:.2e} batches=3 agree={same} '
              f'{"OK" if passed else "FAIL"}')
    print('self-test', 'passed' if ok else 'FAILED')
    return 0 if ok else 1


# ---------------------------------------------------------------- reporting
def blas_and_threads():
    """numpy's BLAS (plus threadpoolctl's pools if installed), the thread count, the env vars."""
    try:
        b = np.show_config(mode='dicts')['Build Dependencies']['blas']
        blas = {'name': b.get('name'), 'version': b.get('version')}
    except Exception as e:  # numpy < 1.26 has no mode='dicts'
        blas = {'error': repr(e)}
    try:
        from threadpoolctl import threadpool_info
        blas['threadpools'] = [{k: p.get(k) for k in ('internal_api', 'version', 'num_threads')}
                               for p in threadpool_info()]
    except ImportError:
        pass
    env = {k: os.environ.get(k) for k in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS')}
    pools = [p['num_threads'] for p in blas.get('threadpools', []) if p.get('num_threads')]
    n = pools[0] if pools else env['OPENBLAS_NUM_THREADS'] or env['OMP_NUM_THREADS']
    return blas, (int(n) if n is not None else None), env


# ---------------------------------------------------------------- main
def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--train', default=FASHION + 'train-images-idx3-ubyte.gz')
    p.add_argument('--test', default=FASHION + 't10k-images-idx3-ubyte.gz', help="or 'none'")
    p.add_argument('--hidden', default='256', help='comma list of hidden layer sizes')
    p.add_argument('--activation', choices=sorted(ACT), default='relu')
    p.add_argument('--lambda', dest='lam', type=float, default=1e-4)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--theta0', help='raw little-endian float64 start vector')
    p.add_argument('--write-theta0', help='write the start vector (raw little-endian float64)')
    p.add_argument('--history', type=int, default=10)
    p.add_argument('--max-iterations', type=int, default=500)
    p.add_argument('--factr', type=float, default=10.0)
    p.add_argument('--pgtol', type=float, default=1e-5)
    p.add_argument('--batches', type=int, default=1, help='evaluate as a sum over K batches')
    p.add_argument('--threads', type=int, help='sets OPENBLAS_NUM_THREADS and OMP_NUM_THREADS')
    p.add_argument('--eval-only', type=int, metavar='N', help='only time N evaluations at theta0')
    p.add_argument('--output', help='write the JSON summary here')
    p.add_argument('--self-test', action='store_true')
    a = p.parse_args()
    if a.self_test:
        return self_test()

    t = time.perf_counter()
    x, raw = load(a.train)
    classes = np.unique(raw)
    y = np.searchsorted(classes, raw)
    hidden = [int(h) for h in a.hidden.split(',') if h.strip()]
    net = MLP([x.shape[1]] + hidden + [len(classes)], a.activation, a.lam)
    print(f'train {a.train}: N={len(y)} D={x.shape[1]} K={len(classes)} params={net.size} '
          f'load {time.perf_counter() - t:.2f}s', file=sys.stderr)
    if a.theta0:
        theta0 = np.fromfile(a.theta0, dtype='<f8').astype(np.float64)
        if theta0.size != net.size:
            sys.exit(f'{a.theta0}: {theta0.size} values, the network has {net.size}')
    else:
        theta0 = net.init(np.random.default_rng(a.seed))
    if a.write_theta0:
        theta0.astype('<f8').tofile(a.write_theta0)

    blas, threads, env = blas_and_threads()
    summary = {'lambda': a.lam, 'hidden': hidden, 'activation': a.activation,
               'history': a.history, 'batches': a.batches, 'n': len(y), 'd': x.shape[1],
               'classes': len(classes), 'parameters': net.size, 'threads': threads,
               'threadEnv': env, 'blas': blas, 'cpus': os.cpu_count()}
    times, last = [], {}  # seconds inside each evaluation; the last (f, g)

    def objective(theta):
        t0 = time.perf_counter()
        last['f'], last['g'] = net.loss_grad(theta, x, y, a.batches)
        times.append(time.perf_counter() - t0)
        return last['f'], last['g']

    if a.eval_only:
        t0 = time.perf_counter()
        for _ in range(a.eval_only):
            f, g = objective(theta0)
        seconds = time.perf_counter() - t0
        summary.update(mode='eval-only', objective=f, gradientNorm=float(np.linalg.norm(g)),
                       evaluations=a.eval_only, seconds=seconds,
                       secondsPerEvaluation=seconds / a.eval_only,
                       secondsPerEvaluationInObjective=sum(times) / a.eval_only,
                       evaluationSeconds=times)
    else:
        trace, t_fit = [], time.perf_counter()

        def callback(xk):  # L-BFGS-B's last evaluation is at the accepted iterate xk
            el = time.perf_counter() - t_fit
            trace.append([len(trace) + 1, len(times), last['f'], el])
            print(f'iter {len(trace):4d}  evals {len(times):4d}  f {last["f"]:.10e}  '
                  f'|g| {np.linalg.norm(last["g"]):.3e}  {el:8.2f}s', file=sys.stderr)

        theta, f, info = fmin_l_bfgs_b(objective, theta0, m=a.history, maxiter=a.max_iterations,
                                       factr=a.factr, pgtol=a.pgtol, callback=callback)
        seconds = time.perf_counter() - t_fit
        task = info['task']
        test_acc = None
        if a.test and a.test.lower() != 'none':
            xt, rawt = load(a.test, dim=x.shape[1])
            known = np.isin(rawt, classes)  # test labels unseen in training count as misses
            yt = np.where(known, np.searchsorted(classes, rawt).clip(0, len(classes) - 1), -1)
            test_acc = net.accuracy(theta, xt, yt)
        evals = len(times)
        summary.update(mode='fit', objective=float(f), evaluations=evals,
                       iterations=int(info['nit']), seconds=seconds,
                       secondsPerEvaluation=seconds / evals,
                       secondsPerEvaluationInObjective=sum(times) / evals,
                       trainAccuracy=net.accuracy(theta, x, y), testAccuracy=test_acc,
                       stop=task.decode() if isinstance(task, bytes) else str(task),
                       gradientNorm=float(np.linalg.norm(info['grad'])),
                       factr=a.factr, pgtol=a.pgtol, maxIterations=a.max_iterations, trace=trace)
    # one key per line (the trace stays on one line)
    text = '{\n' + ',\n'.join(f' {json.dumps(k)}: {json.dumps(v)}'
                               for k, v in summary.items()) + '\n}'
    if a.output:
        with open(a.output, 'w') as fh:
            fh.write(text + '\n')
    print(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())

package org.lbfgsbeam.core.nn;

import java.io.Serializable;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.lbfgsbeam.core.Checks;

/**
 * The architecture of a fully connected feed-forward network (a multilayer perceptron): layer sizes
 * d<sub>0</sub> (inputs), d<sub>1</sub>, &hellip;, d<sub>L&minus;1</sub> (hidden), d<sub>L</sub> = K
 * (outputs), one hidden {@link Activation} &sigma;, and a {@link Loss} on the identity output layer.
 * Immutable; it holds no parameters: &theta; is passed to every call.
 *
 * <p><b>Forward pass</b> over a batch X of n rows (shapes beside each step):
 * <pre>
 *   A<sub>0</sub> = X                                                 n &times; d<sub>0</sub>
 *   Z<sub>l</sub> = A<sub>l</sub> W<sub>l</sub><sup>T</sup> + 1 b<sub>l</sub><sup>T</sup>     (n &times; d<sub>l</sub>)(d<sub>l</sub> &times; d<sub>l+1</sub>)      l = 0..L&minus;1
 *   A<sub>l+1</sub> = &sigma;(Z<sub>l</sub>)                                          l &lt; L&minus;1
 *   J = &Sigma;<sub>i</sub> &ell;(Z<sub>L&minus;1,i</sub>, y<sub>i</sub>)                                   (identity output, then the loss)
 * </pre>
 * <b>Backward pass</b> (backprop; Rumelhart, Hinton &amp; Williams 1986):
 * <pre>
 *   dZ<sub>L&minus;1</sub> = &part;J/&part;Z<sub>L&minus;1</sub>     (softmax &minus; one-hot, or output &minus; target)      n &times; K
 *   dW<sub>l</sub> = dZ<sub>l</sub><sup>T</sup> A<sub>l</sub>        (d<sub>l+1</sub> &times; n)(n &times; d<sub>l</sub>) = d<sub>l+1</sub> &times; d<sub>l</sub>
 *   db<sub>l</sub> = 1<sup>T</sup> dZ<sub>l</sub>         (column sums)                         d<sub>l+1</sub>
 *   dA<sub>l</sub> = dZ<sub>l</sub> W<sub>l</sub>          (n &times; d<sub>l+1</sub>)(d<sub>l+1</sub> &times; d<sub>l</sub>) = n &times; d<sub>l</sub>      l &ge; 1 only
 *   dZ<sub>l&minus;1</sub> = dA<sub>l</sub> &#8857; &sigma;'(Z<sub>l&minus;1</sub>)   (&sigma;' from A<sub>l</sub> = &sigma;(Z<sub>l&minus;1</sub>), see {@link Activation})
 * </pre>
 * dA<sub>0</sub>, the gradient with respect to the data, is never formed. Every product is one
 * {@link Blas} dgemm; bias adds, activations, the loss and column sums are plain loops.
 *
 * <p><b>Parameter layout</b> in &theta;, layer by layer: W<sub>l</sub> (d<sub>l+1</sub> &times;
 * d<sub>l</sub>, row-major: entry (o, i) at {@code weightOffset(l) + o*d_l + i}) then b<sub>l</sub>
 * (d<sub>l+1</sub>, at {@code biasOffset(l)}). {@link #weightRanges()} gives the W<sub>l</sub> ranges
 * for an L2 penalty on weights but not biases.
 *
 * <p><b>Initialisation</b> ({@link #initialParameters}), chosen by the hidden activation and applied
 * to every layer, biases 0:
 * <ul>
 *   <li>ReLU: He normal, W ~ N(0, 2/d<sub>l</sub>) (fan-in d<sub>l</sub>; He, Zhang, Ren &amp; Sun,
 *       "Delving Deep into Rectifiers", ICCV 2015, eq. 10, which they also use for the first and
 *       last layers);</li>
 *   <li>tanh, sigmoid, identity: Glorot uniform, W ~ U(&minus;r, r) with r =
 *       &radic;(6/(d<sub>l</sub> + d<sub>l+1</sub>)) (Glorot &amp; Bengio, "Understanding the difficulty
 *       of training deep feedforward neural networks", AISTATS 2010, eq. 16).</li>
 * </ul>
 * {@link #sparseInitialParameters} is the other scheme: Martens' sparse initialisation (<i>Deep
 * learning via Hessian-free optimization</i>, ICML 2010, &sect;5), with which the K-FAC and
 * Hessian-free papers train the deep sigmoid autoencoders: Glorot's scale suits tanh, and a deep
 * sigmoid stack started with it sits on a plateau where every unit is near 1/2.
 *
 * <p>Every call allocates its own scratch, so one network may be used from several threads at once.
 * Java serialization carries it to workers within a job; it is not a storage format.
 */
public final class MultilayerPerceptron implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int[] sizes;
  private final Activation hidden;
  private final Loss loss;
  private final int[] weightOffsets;
  private final int[] biasOffsets;
  private final int parameterCount;

  private MultilayerPerceptron(int[] sizes, Activation hidden, Loss loss) {
    this.sizes = sizes;
    this.hidden = hidden;
    this.loss = loss;
    int layers = sizes.length - 1;
    this.weightOffsets = new int[layers];
    this.biasOffsets = new int[layers];
    long offset = 0;
    for (int l = 0; l < layers; l++) {
      long biasOffset = offset + (long) sizes[l + 1] * sizes[l];
      long next = biasOffset + sizes[l + 1];
      Checks.checkArgument(next <= Integer.MAX_VALUE - 8,
          "the network has more than 2^31 - 9 parameters (layer sizes %s)", Arrays.toString(sizes));
      weightOffsets[l] = (int) offset;
      biasOffsets[l] = (int) biasOffset;
      offset = next;
    }
    this.parameterCount = (int) offset;
  }

  /**
   * A network with the given layer sizes.
   *
   * @param layerSizes d<sub>0</sub> (inputs), the hidden sizes, K (outputs): at least two entries,
   *     each &ge; 1 (K &ge; 2 for softmax cross-entropy)
   * @param hiddenActivation &sigma; of every hidden layer (unused when there is none, except to pick
   *     the initialisation)
   * @param loss the loss on the identity output layer
   */
  public static MultilayerPerceptron of(int[] layerSizes, Activation hiddenActivation, Loss loss) {
    Checks.checkArgument(layerSizes != null && layerSizes.length >= 2,
        "layerSizes needs at least the input and output sizes, but was: %s",
        Arrays.toString(layerSizes));
    for (int l = 0; l < layerSizes.length; l++) {
      Checks.checkArgument(layerSizes[l] >= 1, "layerSizes[%s] must be positive, but was: %s"
          + " (layerSizes %s)", l, layerSizes[l], Arrays.toString(layerSizes));
    }
    Checks.checkArgument(hiddenActivation != null, "hiddenActivation must not be null");
    Checks.checkArgument(loss != null, "loss must not be null");
    loss.checkOutputs(layerSizes[layerSizes.length - 1]);
    return new MultilayerPerceptron(layerSizes.clone(), hiddenActivation, loss);
  }

  /** A copy of the layer sizes d<sub>0</sub>, &hellip;, d<sub>L</sub>. */
  public int[] layerSizes() {
    return sizes.clone();
  }

  /** &sigma; of the hidden layers. */
  public Activation hiddenActivation() {
    return hidden;
  }

  public Loss loss() {
    return loss;
  }

  /** L, the number of weight layers (one more than the number of hidden layers). */
  public int layers() {
    return sizes.length - 1;
  }

  /** d<sub>l</sub>, the input width of layer l. */
  public int inputs(int l) {
    checkLayer(l);
    return sizes[l];
  }

  /** d<sub>l+1</sub>, the output width of layer l. */
  public int outputs(int l) {
    checkLayer(l);
    return sizes[l + 1];
  }

  /** The index in &theta; of W<sub>l</sub>[0][0]. */
  public int weightOffset(int l) {
    checkLayer(l);
    return weightOffsets[l];
  }

  /** The index in &theta; of b<sub>l</sub>[0]. */
  public int biasOffset(int l) {
    checkLayer(l);
    return biasOffsets[l];
  }

  /** The length of &theta;: &Sigma;<sub>l</sub> d<sub>l+1</sub>(d<sub>l</sub> + 1). */
  public int parameterCount() {
    return parameterCount;
  }

  /**
   * The half-open ranges of every W<sub>l</sub> in &theta; as pairs {@code from0, to0, from1, to1,
   * ...}, increasing: the argument of {@code L2Regularizer.onRanges} for a penalty on the weights and
   * not the biases.
   */
  public int[] weightRanges() {
    int[] ranges = new int[2 * layers()];
    for (int l = 0; l < layers(); l++) {
      ranges[2 * l] = weightOffsets[l];
      ranges[2 * l + 1] = biasOffsets[l];
    }
    return ranges;
  }

  /**
   * A starting &theta;: He normal (ReLU) or Glorot uniform (other activations) weights and zero
   * biases (see the class comment), drawn layer by layer, row by row from {@link SplittableRandom}
   * (seed), normals by Marsaglia's polar method with {@link StrictMath}, so the same seed gives the
   * same bits on every JVM.
   */
  public double[] initialParameters(long seed) {
    double[] theta = new double[parameterCount];
    SplittableRandom random = new SplittableRandom(seed);
    double[] spare = {Double.NaN};
    for (int l = 0; l < layers(); l++) {
      int fanIn = sizes[l];
      int fanOut = sizes[l + 1];
      int from = weightOffsets[l];
      int to = biasOffsets[l];
      if (hidden == Activation.RELU) {
        double std = Math.sqrt(2.0 / fanIn);
        for (int j = from; j < to; j++) {
          theta[j] = std * nextGaussian(random, spare);
        }
      } else {
        double limit = Math.sqrt(6.0 / (fanIn + fanOut));
        for (int j = from; j < to; j++) {
          theta[j] = limit * (2 * random.nextDouble() - 1);
        }
      }
    }
    return theta;
  }

  /**
   * Martens' sparse initialisation (ICML 2010, &sect;5; Martens &amp; Grosse, ICML 2015, &sect;13):
   * each unit of each layer gets {@code connections} incoming weights drawn from N(0, 1), at inputs
   * chosen uniformly without repetition, the rest of its weights and its bias 0 (every input when a
   * layer has at most {@code connections} of them). The total input of a unit then does not shrink
   * with the layer's width, which keeps a deep sigmoid stack out of the saturated and the linear
   * regimes. Drawn layer by layer, unit by unit from {@link SplittableRandom}(seed), so the same seed
   * gives the same bits on every JVM.
   *
   * @param connections nonzero incoming weights per unit, &ge; 1 (Martens: 15)
   */
  public double[] sparseInitialParameters(long seed, int connections) {
    Checks.checkArgument(connections >= 1, "connections must be >= 1, but was: %s", connections);
    double[] theta = new double[parameterCount];
    SplittableRandom random = new SplittableRandom(seed);
    double[] spare = {Double.NaN};
    for (int l = 0; l < layers(); l++) {
      int fanIn = sizes[l];
      int[] inputs = new int[fanIn];
      for (int o = 0; o < sizes[l + 1]; o++) {
        for (int i = 0; i < fanIn; i++) {
          inputs[i] = i;
        }
        int k = Math.min(connections, fanIn);
        for (int c = 0; c < k; c++) { // the first k of a Fisher-Yates shuffle
          int pick = c + random.nextInt(fanIn - c);
          int chosen = inputs[pick];
          inputs[pick] = inputs[c];
          inputs[c] = chosen;
          theta[weightOffsets[l] + o * fanIn + chosen] = nextGaussian(random, spare);
        }
      }
    }
    return theta;
  }

  /** Marsaglia's polar method; {@code spare[0]} holds the second deviate of a pair (or NaN). */
  static double nextGaussian(SplittableRandom random, double[] spare) {
    if (!Double.isNaN(spare[0])) {
      double g = spare[0];
      spare[0] = Double.NaN;
      return g;
    }
    double u;
    double v;
    double s;
    do {
      u = 2 * random.nextDouble() - 1;
      v = 2 * random.nextDouble() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s == 0);
    double factor = StrictMath.sqrt(-2 * StrictMath.log(s) / s);
    spare[0] = v * factor;
    return u * factor;
  }

  /**
   * The forward pass over the batch's features (the batch's labels or targets are not read).
   *
   * @throws IllegalArgumentException if &theta; has the wrong length, the batch has the wrong
   *     number of features, or a feature value is not finite
   */
  public Forward forward(double[] theta, DenseBatch batch) {
    checkTheta(theta);
    Checks.checkArgument(batch != null, "batch must not be null");
    checkFeatures(batch.features());
    DenseBatch.checkFinite(batch.x(), batch.features());
    return forward(theta, batch.x(), batch.rows());
  }

  /**
   * The forward and backward passes: returns J, the loss summed over the batch's rows, with the
   * per-layer dZ<sub>l</sub>, and <b>adds</b> &nabla;J into {@code gradient} (dW<sub>l</sub> and
   * db<sub>l</sub> at their offsets).
   *
   * @param gradient of {@link #parameterCount()} entries; the caller zero-fills it for &nabla;J alone
   * @throws IllegalArgumentException as {@link #forward} does, or if the batch's labels or targets
   *     do not suit the loss (a label outside [0, K), targets of the wrong width, targets for
   *     cross-entropy or labels for squared error)
   */
  public Backprop backprop(double[] theta, DenseBatch batch, double[] gradient) {
    Checks.checkArgument(gradient != null && gradient.length == parameterCount,
        "gradient must have %s entries (the parameter count), but had: %s", parameterCount,
        gradient == null ? "null" : gradient.length);
    checkTheta(theta);
    Checks.checkArgument(batch != null, "batch must not be null");
    checkFeatures(batch.features());
    int k = sizes[sizes.length - 1];
    loss.checkBatch(batch, k);
    DenseBatch.checkFinite(batch.x(), batch.features());
    int n = batch.rows();
    Forward f = forward(theta, batch.x(), n);
    double[] dzLast = new double[n * k];
    double value = loss.valueAndOutputGradient(f.output(), n, k, batch, dzLast);
    return new Backprop(f, value, backward(theta, f, dzLast, gradient));
  }

  /**
   * The backward pass alone, from a given output gradient dZ<sub>L&minus;1</sub>, over the activations
   * of an earlier {@link #forward} or {@link #backprop} at the same &theta;: the hook of K-FAC's true
   * Fisher, whose factor G<sub>l</sub> needs the pre-activation gradients of targets sampled from the
   * model (see {@link Loss#sampledOutputGradient}) while the parameter gradient keeps the true labels.
   * It runs the same recursion as {@link #backprop} (the class comment's dA<sub>l</sub> and
   * dZ<sub>l&minus;1</sub> lines) without forming dW<sub>l</sub> and db<sub>l</sub>; the forward pass
   * is not repeated.
   *
   * @param forward the activations of this network at &theta; ({@code forward.layers() == layers()})
   * @param outputGradient dZ<sub>L&minus;1</sub>, n&times;K row-major; becomes the last entry of the
   *     result without copying
   * @return dZ<sub>l</sub> for l = 0..L&minus;1, n&times;{@code outputs(l)} row-major each
   * @throws IllegalArgumentException if a shape does not match
   */
  public double[][] backward(double[] theta, Forward forward, double[] outputGradient) {
    checkTheta(theta);
    Checks.checkArgument(forward != null && forward.layers() == layers(),
        "forward must hold the %s layers of this network, but had: %s", layers(),
        forward == null ? "null" : forward.layers());
    int n = forward.rows();
    int k = sizes[sizes.length - 1];
    Checks.checkArgument(outputGradient != null && outputGradient.length == (long) n * k,
        "outputGradient must hold rows x outputs = %s x %s values, but had: %s", n, k,
        outputGradient == null ? "null" : outputGradient.length);
    return backward(theta, forward, outputGradient, null);
  }

  /**
   * The backward recursion from dZ<sub>L&minus;1</sub> = {@code dzLast}; adds dW<sub>l</sub> and
   * db<sub>l</sub> into {@code gradient} unless it is null. The same operations in the same order
   * either way, so the dZ<sub>l</sub> do not depend on whether the gradient is formed.
   */
  private double[][] backward(double[] theta, Forward f, double[] dzLast, double[] gradient) {
    int n = f.rows();
    int layers = layers();
    double[][] dz = new double[layers][];
    dz[layers - 1] = dzLast;
    for (int l = layers - 1; l >= 0; l--) {
      int in = sizes[l];
      int out = sizes[l + 1];
      double[] dzl = dz[l];
      if (gradient != null) {
        // dW_l (out x in) += dZ_l^T (out x n) . A_l (n x in), written in place into the gradient.
        Blas.gemmTN(out, in, n, 1.0, dzl, 0, f.input(l), 0, 1.0, gradient, weightOffsets[l]);
        // db_l (out) += column sums of dZ_l (n x out), rows in order.
        int bo = biasOffsets[l];
        for (int i = 0; i < n; i++) {
          int row = i * out;
          for (int o = 0; o < out; o++) {
            gradient[bo + o] += dzl[row + o];
          }
        }
      }
      if (l > 0) {
        // dA_l (n x in) = dZ_l (n x out) . W_l (out x in); then dZ_{l-1} = dA_l .* sigma'(Z_{l-1}).
        double[] da = new double[n * in];
        Blas.gemm(n, in, out, 1.0, dzl, 0, theta, weightOffsets[l], 0.0, da, 0);
        hidden.multiplyByDerivative(f.input(l), da);
        dz[l - 1] = da;
      }
    }
    return dz;
  }

  /**
   * The network's scores for {@code rows} examples: softmax probabilities for cross-entropy, raw
   * outputs for squared error.
   *
   * @param x rows&times;d<sub>0</sub> row-major, finite
   * @return a new rows&times;K row-major array
   */
  public double[] scores(double[] theta, double[] x, int rows) {
    checkTheta(theta);
    Checks.checkArgument(rows >= 1, "rows must be positive, but was: %s", rows);
    Checks.checkArgument(x != null && (long) rows * sizes[0] == x.length,
        "x must hold rows x inputs = %s x %s values, but had: %s", rows, sizes[0],
        x == null ? "null" : x.length);
    DenseBatch.checkFinite(x, sizes[0]);
    double[] z = forward(theta, x, rows).output();
    loss.scoresInPlace(z, rows, sizes[sizes.length - 1]);
    return z;
  }

  /** The forward pass, inputs already checked. */
  private Forward forward(double[] theta, double[] x, int n) {
    int layers = layers();
    for (int l = 1; l < sizes.length; l++) {
      Checks.checkArgument((long) n * sizes[l] <= Integer.MAX_VALUE,
          "a batch of %s rows x %s units exceeds 2^31 - 1 values; use smaller batches", n,
          sizes[l]);
    }
    double[][] inputs = new double[layers][];
    inputs[0] = x;
    double[] z = null;
    for (int l = 0; l < layers; l++) {
      int in = sizes[l];
      int out = sizes[l + 1];
      z = new double[n * out];
      for (int i = 0; i < n; i++) {
        System.arraycopy(theta, biasOffsets[l], z, i * out, out); // Z_l = 1 b_l^T ...
      }
      // ... + A_l (n x in) . W_l^T (in x out)  ->  Z_l (n x out)
      Blas.gemmNT(n, out, in, 1.0, inputs[l], 0, theta, weightOffsets[l], 1.0, z, 0);
      if (l + 1 < layers) {
        hidden.applyInPlace(z);
        inputs[l + 1] = z;
      }
    }
    return new Forward(n, inputs, z);
  }

  private void checkLayer(int l) {
    Checks.checkArgument(l >= 0 && l < layers(), "layer must be in [0, %s), but was: %s",
        layers(), l);
  }

  private void checkTheta(double[] theta) {
    Checks.checkArgument(theta != null && theta.length == parameterCount,
        "theta must have %s entries (the parameter count), but had: %s", parameterCount,
        theta == null ? "null" : theta.length);
  }

  private void checkFeatures(int features) {
    Checks.checkArgument(features == sizes[0],
        "the batch has %s features, but the network's input layer has %s", features, sizes[0]);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MultilayerPerceptron other && Arrays.equals(sizes, other.sizes)
        && hidden == other.hidden && loss == other.loss;
  }

  @Override
  public int hashCode() {
    return (Arrays.hashCode(sizes) * 31 + hidden.hashCode()) * 31 + loss.hashCode();
  }

  @Override
  public String toString() {
    return "MultilayerPerceptron{layerSizes=" + Arrays.toString(sizes) + ", hidden=" + hidden
        + ", loss=" + loss + ", parameters=" + parameterCount + "}";
  }
}

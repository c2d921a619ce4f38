package org.lbfgsbeam.core.kfac;

import java.io.Serializable;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.nn.Blas;

/**
 * The partial sums of K-FAC's two Kronecker factors of one dense layer over some rows of data
 * (Martens &amp; Grosse, <i>Optimizing Neural Networks with Kronecker-factored Approximate
 * Curvature</i>, ICML 2015, &sect;3): with a<sub>i</sub> the layer's input (d<sub>in</sub>),
 * &abar;<sub>i</sub> = [a<sub>i</sub>; 1] (the bias folded in as a constant input) and
 * g<sub>i</sub> = &part;&ell;<sub>i</sub>/&part;z<sub>i</sub> the gradient of row i's loss with
 * respect to the layer's pre-activation (d<sub>out</sub>),
 * <pre>
 *   A = &Sigma;<sub>i</sub> &abar;<sub>i</sub> &abar;<sub>i</sub><sup>T</sup>     (d<sub>in</sub>+1) &times; (d<sub>in</sub>+1),  = &Abar;<sup>T</sup>&Abar; with &Abar; = [A<sub>l</sub> 1] (m &times; (d<sub>in</sub>+1))
 *   G = &Sigma;<sub>i</sub> g<sub>i</sub> g<sub>i</sub><sup>T</sup>         d<sub>out</sub> &times; d<sub>out</sub>,            = dZ<sub>l</sub><sup>T</sup>dZ<sub>l</sub>  (dZ<sub>l</sub>: m &times; d<sub>out</sub>)
 * </pre>
 * and the row count m. The layer's Fisher block F = E[vec(&nabla;W&#773;<sub>i</sub>)
 * vec(&nabla;W&#773;<sub>i</sub>)<sup>T</sup>] is approximated by (G/m) &otimes; (A/m): the owner of the
 * layer adds the partials of all shards in shard order ({@link #plus}) and divides by the total row
 * count ({@link #meanA}, {@link #meanG}). Both products are one BLAS dgemm each on the row-major
 * matrices ({@link Blas#gemmTN}); the result is stored in full (both triangles).
 *
 * <p><b>Scale of g.</b> {@link org.lbfgsbeam.core.nn.MultilayerPerceptron#backprop} differentiates
 * the <i>summed</i> loss J = &Sigma;<sub>i</sub> &ell;<sub>i</sub>, so row i of dZ<sub>l</sub> is
 * already the per-example gradient g<sub>i</sub> and G/m is the per-example second moment, whatever
 * the batch size. Implementations that back-propagate a batch-<i>mean</i> loss get g<sub>i</sub>/m
 * and must multiply by m (KAISA's {@code grad_output * batch_size}); forgetting it shrinks G by
 * m<sup>2</sup>, and the damping &gamma; then silently means something else for every batch size.
 * Nothing is rescaled here.
 *
 * <p>Immutable by contract: the arrays are returned without copying and must not be modified.
 */
public final class KroneckerFactors implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int inputs;
  private final int outputs;
  private final double[] a;
  private final double[] g;
  private final long rows;

  private KroneckerFactors(int inputs, int outputs, double[] a, double[] g, long rows) {
    this.inputs = inputs;
    this.outputs = outputs;
    this.a = a;
    this.g = g;
    this.rows = rows;
  }

  /**
   * The partial sums over m rows of one layer.
   *
   * @param input A<sub>l</sub>, m&times;d<sub>in</sub> row-major (the layer's inputs)
   * @param delta dZ<sub>l</sub>, m&times;d<sub>out</sub> row-major (per-example gradients of the
   *     pre-activations, see the class comment on their scale)
   */
  public static KroneckerFactors of(double[] input, double[] delta, int rows, int inputs,
      int outputs) {
    Checks.checkArgument(rows >= 1, "rows must be positive, but was: %s", rows);
    Checks.checkArgument(inputs >= 1 && outputs >= 1,
        "inputs and outputs must be positive, but were: %s, %s", inputs, outputs);
    Checks.checkArgument(input != null && input.length == (long) rows * inputs,
        "input must hold rows x inputs = %s x %s values, but had: %s", rows, inputs,
        input == null ? "null" : input.length);
    Checks.checkArgument(delta != null && delta.length == (long) rows * outputs,
        "delta must hold rows x outputs = %s x %s values, but had: %s", rows, outputs,
        delta == null ? "null" : delta.length);
    int da = inputs + 1;
    // Abar (m x (d_in+1)) = [A_l 1], row by row.
    double[] abar = new double[rows * da];
    for (int i = 0; i < rows; i++) {
      System.arraycopy(input, i * inputs, abar, i * da, inputs);
      abar[i * da + inputs] = 1.0;
    }
    double[] sa = new double[da * da];
    // A ((d_in+1) x (d_in+1)) = Abar^T ((d_in+1) x m) . Abar (m x (d_in+1))
    Blas.gemmTN(da, da, rows, 1.0, abar, 0, abar, 0, 0.0, sa, 0);
    double[] sg = new double[outputs * outputs];
    // G (d_out x d_out) = dZ^T (d_out x m) . dZ (m x d_out)
    Blas.gemmTN(outputs, outputs, rows, 1.0, delta, 0, delta, 0, 0.0, sg, 0);
    return new KroneckerFactors(inputs, outputs, sa, sg, rows);
  }

  /**
   * The sums of both operands (this one first, entry by entry) and of their row counts. Folding the
   * shards' partials left to right in shard order gives the same bits on every run.
   */
  public KroneckerFactors plus(KroneckerFactors other) {
    Checks.checkArgument(other != null && other.inputs == inputs && other.outputs == outputs,
        "factors of a %s -> %s layer cannot be added to: %s", inputs, outputs, other);
    double[] sa = a.clone();
    for (int j = 0; j < sa.length; j++) {
      sa[j] += other.a[j];
    }
    double[] sg = g.clone();
    for (int j = 0; j < sg.length; j++) {
      sg[j] += other.g[j];
    }
    return new KroneckerFactors(inputs, outputs, sa, sg, rows + other.rows);
  }

  /**
   * How many doubles {@link #packInto} writes for a d<sub>in</sub> &rarr; d<sub>out</sub> layer:
   * A, then G, then the row count.
   */
  public static int packedLength(int inputs, int outputs) {
    return (inputs + 1) * (inputs + 1) + outputs * outputs + 1;
  }

  /**
   * Writes A, G and the row count (exact as a double below 2<sup>53</sup>) from {@code offset}, so
   * that the factors travel with the gradient as plain doubles; adding two packed forms entry by
   * entry is {@link #plus}.
   */
  public void packInto(double[] out, int offset) {
    System.arraycopy(a, 0, out, offset, a.length);
    System.arraycopy(g, 0, out, offset + a.length, g.length);
    out[offset + a.length + g.length] = rows;
  }

  /** The factors of a d<sub>in</sub> &rarr; d<sub>out</sub> layer packed at {@code offset}. */
  public static KroneckerFactors unpack(double[] packed, int offset, int inputs, int outputs) {
    int da = (inputs + 1) * (inputs + 1);
    int dg = outputs * outputs;
    Checks.checkArgument(offset >= 0 && (long) offset + da + dg + 1 <= packed.length,
        "packed factors of a %s -> %s layer need %s values from %s, but the array has %s", inputs,
        outputs, da + dg + 1, offset, packed.length);
    double rows = packed[offset + da + dg];
    Checks.checkArgument(rows >= 1 && rows == Math.rint(rows),
        "the packed row count must be a positive integer, but was: %s", rows);
    return new KroneckerFactors(inputs, outputs,
        java.util.Arrays.copyOfRange(packed, offset, offset + da),
        java.util.Arrays.copyOfRange(packed, offset + da, offset + da + dg), (long) rows);
  }

  /** d<sub>in</sub>, the layer's input width (A is (d<sub>in</sub>+1)<sup>2</sup>). */
  public int inputs() {
    return inputs;
  }

  /** d<sub>out</sub>, the layer's output width (G is d<sub>out</sub><sup>2</sup>). */
  public int outputs() {
    return outputs;
  }

  /** &Sigma; &abar;&abar;<sup>T</sup>, (d<sub>in</sub>+1)&times;(d<sub>in</sub>+1) row-major, the bias last. */
  public double[] a() {
    return a;
  }

  /** &Sigma; gg<sup>T</sup>, d<sub>out</sub>&times;d<sub>out</sub> row-major. */
  public double[] g() {
    return g;
  }

  /** m, the number of rows summed. */
  public long rows() {
    return rows;
  }

  /** A/m, a new array. */
  public double[] meanA() {
    return scaled(a, 1.0 / rows);
  }

  /** G/m, a new array. */
  public double[] meanG() {
    return scaled(g, 1.0 / rows);
  }

  private static double[] scaled(double[] x, double c) {
    double[] y = new double[x.length];
    for (int j = 0; j < x.length; j++) {
      y[j] = c * x[j];
    }
    return y;
  }

  @Override
  public String toString() {
    return "KroneckerFactors{inputs=" + inputs + ", outputs=" + outputs + ", rows=" + rows + "}";
  }
}

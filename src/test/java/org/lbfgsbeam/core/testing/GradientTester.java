package org.lbfgsbeam.core.testing;

import java.util.Arrays;
import java.util.BitSet;
import java.util.Random;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.objective.CombinedStatistics;
import org.lbfgsbeam.core.objective.DifferentiableFunction;
import org.lbfgsbeam.core.objective.PartitionedObjective;

/**
 * Checks an analytic gradient against central finite differences, coordinate by coordinate, with
 * the relative error of Breeze's {@code GradientTester}:
 * <pre>
 *   err<sub>j</sub> = |&#x011D;<sub>j</sub> &minus; g<sub>j</sub>| / max(|g<sub>j</sub>|, |&#x011D;<sub>j</sub>|, 10<sup>&minus;4</sup>)
 * </pre>
 * (the floor turns it into an absolute error for coordinates whose gradient is below
 * 10<sup>&minus;4</sup>). Tests assert {@code result.maxError() < 1e-6} with {@code result} as the
 * message: it names the worst coordinate and both derivatives there.
 *
 * <p><b>The difference quotient</b> is the fourth-order central difference (the five-point stencil;
 * Fornberg, Math. Comp. 1988; Nocedal &amp; Wright, 2nd ed., &sect;8.1 for the error analysis):
 * <pre>
 *   &#x011D;<sub>j</sub> = [8 (f(x + h e<sub>j</sub>) &minus; f(x &minus; h e<sub>j</sub>)) &minus; (f(x + 2h e<sub>j</sub>) &minus; f(x &minus; 2h e<sub>j</sub>))] / (12 h)
 * </pre>
 * Its error is about h<sup>4</sup>|f<sup>(5)</sup>|/30 (truncation) plus 1.5&delta;/h, where &delta;
 * is the rounding noise of one evaluation of f. That noise is well above &epsilon;|f|: a mean over
 * N examples re-rounds every partial sum after the perturbed term, and softmax on synth-small
 * (N = 2000, f &asymp; 3) shows &delta; of some 10<sup>&minus;15</sup>. The two-point quotient
 * [f(x + h) &minus; f(x &minus; h)] / (2h) has truncation error h&sup2;|f'''|/6 instead, and no step
 * suits every objective: on synth-small it errs by 1.4&middot;10<sup>&minus;5</sup> at h =
 * 10<sup>&minus;6</sup> (rounding), while Rosenbrock (f''' = 2400x) needs h &le; 2<sup>&minus;12</sup>
 * (truncation). The fourth-order stencil allows a large step, h = 2<sup>&minus;10</sup>&middot;max(1,
 * |x<sub>j</sub>|) rounded down to a power of two, so that x &plusmn; h and x &plusmn; 2h are exact
 * or within half an ulp of x (negligible against h). Its rounding term is then some
 * 10<sup>&minus;12</sup>, and its truncation term vanishes for polynomials of degree &le; 4
 * (Rosenbrock, least squares) and is about 10<sup>&minus;13</sup> for logistic and softmax losses on
 * features of order one: measured errors stay below 5&middot;10<sup>&minus;8</sup> on the fixture
 * sets. A function that varies on a scale well below 10<sup>&minus;3</sup> needs a smaller
 * {@code relativeStep}.
 *
 * <p>A {@link PartitionedObjective} is evaluated as every executor evaluates it ({@link #evaluate}):
 * margins and partial statistics per block, one combine of the partials in block order, then each
 * block's gradient, with f = dataLoss + share<sub>0</sub> + share<sub>1</sub> + &hellip; added in
 * block order. Its coordinates are numbered as the blocks concatenated in block order. For a
 * perturbed point only the perturbed block's phase 1 is recomputed (phase 1 of a block is a function
 * of that block's weights), phases 2 and 3 in full, so its f has the bits {@link #evaluate} gives.
 * Large problems are checked on a seeded random subset of coordinates, the same on every run.
 */
public final class GradientTester {
  /** The floor of the relative error's denominator, as in Breeze. */
  public static final double FLOOR = 1e-4;
  /** The default step relative to max(1, |x<sub>j</sub>|): 2<sup>&minus;10</sup>. */
  public static final double DEFAULT_RELATIVE_STEP = 0x1p-10;
  /** Multiples of h at which f is evaluated, in the order {@link #quotient} reads them. */
  private static final double[] OFFSETS = {1, -1, 2, -2};

  private GradientTester() {}

  /**
   * The outcome of a check.
   *
   * @param maxError the largest relative error over the checked coordinates (+&infin; for NaN)
   * @param worstCoordinate the coordinate where it occurred (flat index; blocks concatenated)
   * @param analytic the analytic gradient there
   * @param numeric the finite-difference estimate there
   * @param checked how many coordinates were checked
   */
  public record Result(double maxError, int worstCoordinate, double analytic, double numeric,
      int checked) {
    @Override
    public String toString() {
      return String.format("max relative error %.3e at coordinate %d (analytic %.17g, numeric"
          + " %.17g; %d coordinates checked)", maxError, worstCoordinate, analytic, numeric,
          checked);
    }
  }

  /** |numeric &minus; analytic| / max(|analytic|, |numeric|, {@link #FLOOR}). */
  public static double relativeError(double analytic, double numeric) {
    double scale = Math.max(Math.max(Math.abs(analytic), Math.abs(numeric)), FLOOR);
    return Math.abs(numeric - analytic) / scale;
  }

  /**
   * The step h for a coordinate of value x: relativeStep&middot;max(1, |x|) rounded down to a power
   * of two.
   */
  public static double step(double x, double relativeStep) {
    Checks.checkArgument(relativeStep > 0 && Double.isFinite(relativeStep),
        "relative step must be finite and positive, but was: %s", relativeStep);
    Checks.checkArgument(Double.isFinite(x), "x must be finite, but was: %s", x);
    return Math.scalb(1.0, Math.getExponent(relativeStep * Math.max(1, Math.abs(x))));
  }

  /** Checks {@code f} at {@code x} on all coordinates with the default step. */
  public static Result check(DifferentiableFunction f, double[] x) {
    return check(f, x, allCoordinates(x.length), DEFAULT_RELATIVE_STEP);
  }

  /** Checks {@code f} at {@code x} on the given coordinates with step(x<sub>j</sub>, relativeStep). */
  public static Result check(DifferentiableFunction f, double[] x, int[] coordinates,
      double relativeStep) {
    Checks.checkArgument(coordinates.length >= 1, "no coordinates to check");
    double[] g = new double[x.length];
    f.valueAndGradient(x.clone(), g);
    double[] scratch = new double[x.length];
    Worst worst = new Worst(coordinates.length);
    for (int j : coordinates) {
      Checks.checkArgument(j >= 0 && j < x.length, "coordinate must be in [0, %s), but was: %s",
          x.length, j);
      double h = step(x[j], relativeStep);
      double[] fs = new double[4];
      for (int s = 0; s < 4; s++) {
        double[] trial = x.clone();
        trial[j] = x[j] + OFFSETS[s] * h;
        fs[s] = f.valueAndGradient(trial, scratch);
      }
      worst.offer(j, g[j], quotient(fs, h));
    }
    return worst.result();
  }

  /** Checks {@code objective} at the blocked point {@code w} on all coordinates. */
  public static Result check(PartitionedObjective objective, double[][] w) {
    return check(objective, w, allCoordinates(totalLength(w)), DEFAULT_RELATIVE_STEP);
  }

  /**
   * Checks {@code objective} at {@code w} on the k distinct coordinates
   * {@link #randomCoordinates}(n, k, seed) (all of them when k &ge; n).
   */
  public static Result check(PartitionedObjective objective, double[][] w, int k, long seed) {
    return check(objective, w, randomCoordinates(totalLength(w), k, seed), DEFAULT_RELATIVE_STEP);
  }

  /** Checks {@code objective} at {@code w} on the given flat coordinates. */
  public static Result check(PartitionedObjective objective, double[][] w, int[] coordinates,
      double relativeStep) {
    Checks.checkArgument(coordinates.length >= 1, "no coordinates to check");
    int[] offsets = blockOffsets(objective, w);
    int blocks = w.length;
    double[][] margins = new double[blocks][];
    double[][] partials = new double[blocks][];
    for (int b = 0; b < blocks; b++) {
      margins[b] = objective.margins(b, w[b].clone());
      partials[b] = objective.partialStatistics(b, margins[b]);
    }
    double[][] g = new double[blocks][];
    finish(objective, w, margins, partials, g);
    double[][] trial = w.clone(); // block arrays shared with w, except the perturbed one
    Worst worst = new Worst(coordinates.length);
    for (int j : coordinates) {
      Checks.checkArgument(j >= 0 && j < offsets[blocks],
          "coordinate must be in [0, %s), but was: %s", offsets[blocks], j);
      int b = blockOf(offsets, j);
      int q = j - offsets[b];
      double x = w[b][q];
      double h = step(x, relativeStep);
      double[][] trialMargins = margins.clone();
      double[][] trialPartials = partials.clone();
      double[] fs = new double[4];
      for (int s = 0; s < 4; s++) {
        trial[b] = w[b].clone();
        trial[b][q] = x + OFFSETS[s] * h;
        trialMargins[b] = objective.margins(b, trial[b].clone());
        trialPartials[b] = objective.partialStatistics(b, trialMargins[b]);
        fs[s] = finish(objective, trial, trialMargins, trialPartials, null);
      }
      trial[b] = w[b];
      worst.offer(j, g[b][q], quotient(fs, h));
    }
    return worst.result();
  }

  /**
   * f at the blocked point {@code w}, computed in the three phases in block order as the executors
   * do; when {@code gradientOut} is not null, {@code gradientOut[b]} is set to a new array holding
   * g<sub>b</sub>. The objective gets copies of the weights.
   */
  public static double evaluate(PartitionedObjective objective, double[][] w,
      double[][] gradientOut) {
    blockOffsets(objective, w);
    double[][] margins = new double[w.length][];
    double[][] partials = new double[w.length][];
    for (int b = 0; b < w.length; b++) {
      margins[b] = objective.margins(b, w[b].clone());
      partials[b] = objective.partialStatistics(b, margins[b]);
    }
    return finish(objective, w, margins, partials, gradientOut);
  }

  /**
   * k distinct indices in [0, n), ascending, drawn by {@link Random}(seed) (an algorithm Java
   * specifies, so the subset is the same on every JVM); all n indices when k &ge; n.
   */
  public static int[] randomCoordinates(int n, int k, long seed) {
    Checks.checkArgument(n >= 1, "n must be positive, but was: %s", n);
    Checks.checkArgument(k >= 1, "k must be positive, but was: %s", k);
    if (k >= n) {
      return allCoordinates(n);
    }
    Random random = new Random(seed);
    BitSet chosen = new BitSet(n);
    while (chosen.cardinality() < k) {
      chosen.set(random.nextInt(n));
    }
    return chosen.stream().toArray();
  }

  /** The five-point derivative from f(x + h), f(x &minus; h), f(x + 2h), f(x &minus; 2h). */
  private static double quotient(double[] fs, double h) {
    return (8 * (fs[0] - fs[1]) - (fs[2] - fs[3])) / (12 * h);
  }

  /** Phases 2 and 3: combine in block order, then each block's gradient and share. */
  private static double finish(PartitionedObjective objective, double[][] w, double[][] margins,
      double[][] partials, double[][] gradientOut) {
    CombinedStatistics combined = objective.combine(partials);
    double f = combined.dataLoss();
    for (int b = 0; b < w.length; b++) {
      double[] g = new double[w[b].length];
      f += objective.gradient(b, w[b].clone(), margins[b], combined.broadcast(), g);
      if (gradientOut != null) {
        gradientOut[b] = g;
      }
    }
    return f;
  }

  private static int[] allCoordinates(int n) {
    int[] all = new int[n];
    Arrays.setAll(all, j -> j);
    return all;
  }

  private static int totalLength(double[][] w) {
    long n = 0;
    for (double[] b : w) {
      n += b.length;
    }
    Checks.checkArgument(n <= Integer.MAX_VALUE, "too many coordinates to number: %s", n);
    return (int) n;
  }

  /** int[P+1]: the flat index of each block's first entry; validates w against the partitioning. */
  private static int[] blockOffsets(PartitionedObjective objective, double[][] w) {
    int blocks = objective.partitioning().blocks();
    Checks.checkArgument(w.length == blocks, "the point has %s blocks, but the partitioning has %s",
        w.length, blocks);
    int[] offsets = new int[blocks + 1];
    for (int b = 0; b < blocks; b++) {
      int size = objective.partitioning().blockSize(b);
      Checks.checkArgument(w[b].length == size, "block %s has %s entries, expected %s", b,
          w[b].length, size);
      offsets[b + 1] = Math.addExact(offsets[b], size);
    }
    return offsets;
  }

  private static int blockOf(int[] offsets, int j) {
    int b = Arrays.binarySearch(offsets, j); // offsets strictly ascend: no block is empty
    return b >= 0 ? b : -b - 2;
  }

  /** Tracks the largest relative error; a NaN error counts as +&infin; so that it fails. */
  private static final class Worst {
    private final int checked;
    private double error = -1;
    private int coordinate = -1;
    private double analytic = Double.NaN;
    private double numeric = Double.NaN;

    Worst(int checked) {
      this.checked = checked;
    }

    void offer(int j, double a, double n) {
      double e = relativeError(a, n);
      if (Double.isNaN(e)) {
        e = Double.POSITIVE_INFINITY;
      }
      if (e > error) {
        error = e;
        coordinate = j;
        analytic = a;
        numeric = n;
      }
    }

    Result result() {
      return new Result(error, coordinate, analytic, numeric, checked);
    }
  }
}

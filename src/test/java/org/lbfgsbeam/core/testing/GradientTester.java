package org.lbfgsbeam.core.testing;

import java.util.Arrays;
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
 * (the floor makes it an absolute error for coordinates whose gradient is below 10<sup>&minus;4</sup>).
 * Tests assert {@code result.maxError() < 1e-6} with {@code result} as the message.
 *
 * <p><b>The difference quotient.</b> &#x011D;<sub>j</sub> = [f(x + h e<sub>j</sub>) &minus;
 * f(x &minus; h e<sub>j</sub>)] / (2h), whose error is about h&sup2;|f'''|/6 (truncation) plus
 * &epsilon;|f|&middot;c/h (rounding: &epsilon; = 2<sup>&minus;52</sup>, and c grows with the number of
 * terms summed into f, some tens for a mean over thousands of examples). A step of
 * h = 10<sup>&minus;6</sup> would cost up to 10<sup>&minus;9</sup> of rounding error on f &asymp; 3,
 * which is 10<sup>&minus;5</sup> relative to the floor, so the default is larger:
 * h = 2<sup>&minus;17</sup>&middot;max(1, |x<sub>j</sub>|) (about 7.6&middot;10<sup>&minus;6</sup>, near
 * the optimal &epsilon;<sup>1/3</sup>), rounded down to a power of two so that x &plusmn; h are exact
 * for |x<sub>j</sub>| &le; 2<sup>35</sup>h. Then both error terms are about 10<sup>&minus;11</sup> for
 * smooth losses of order one; functions with large third derivatives (Rosenbrock: 2400 x) should be
 * checked where their gradient is not tiny, or with a smaller {@code relativeStep}.
 *
 * <p>A {@link PartitionedObjective} is evaluated as every executor evaluates it ({@link #evaluate}):
 * margins and partial statistics per block, one combine in block order, then each block's gradient,
 * with f = dataLoss + share<sub>0</sub> + share<sub>1</sub> + &hellip; Its coordinates are numbered
 * as the blocks concatenated in block order. Large problems are checked on a seeded random subset of
 * coordinates, the same subset on every run.
 */
public final class GradientTester {
  /** The floor of the relative error's denominator, as in Breeze. */
  public static final double FLOOR = 1e-4;
  /** The default step relative to max(1, |x<sub>j</sub>|): 2<sup>&minus;17</sup>. */
  public static final double DEFAULT_RELATIVE_STEP = 0x1p-17;

  private GradientTester() {}

  /**
   * The outcome of a check.
   *
   * @param maxError the largest relative error over the checked coordinates
   * @param worstCoordinate the coordinate where it occurred (flat index; blocks concatenated)
   * @param analytic the analytic gradient there
   * @param numeric the finite-difference estimate there
   * @param checked how many coordinates were checked
   */
  public record Result(double maxError, int worstCoordinate, double analytic, double numeric,
      int checked) {
    @Override
    public String toString() {
      return String.format("max relative error %.3e at coordinate %d (analytic %.17g, numeric %.17g;"
          + " %d coordinates checked)", maxError, worstCoordinate, analytic, numeric, checked);
    }
  }

  /** |a &minus; b| / max(|a|, |b|, {@link #FLOOR}). */
  public static double relativeError(double analytic, double numeric) {
    double scale = Math.max(Math.max(Math.abs(analytic), Math.abs(numeric)), FLOOR);
    return Math.abs(numeric - analytic) / scale;
  }

  /** The finite-difference step for a coordinate of value x: see the class comment. */
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
    double[] g = new double[x.length];
    f.valueAndGradient(x.clone(), g);
    double[] scratch = new double[x.length];
    Worst worst = new Worst(coordinates.length);
    for (int j : coordinates) {
      Checks.checkArgument(j >= 0 && j < x.length, "coordinate must be in [0, %s), but was: %s",
          x.length, j);
      double h = step(x[j], relativeStep);
      double[] xp = x.clone();
      xp[j] = x[j] + h;
      double[] xm = x.clone();
      xm[j] = x[j] - h;
      double numeric = (f.valueAndGradient(xp, scratch) - f.valueAndGradient(xm, scratch))
          / (xp[j] - xm[j]);
      worst.offer(j, g[j], numeric);
    }
    return worst.result();
  }

  /** Checks {@code objective} at the blocked point {@code w} on all coordinates. */
  public static Result check(PartitionedObjective objective, double[][] w) {
    return check(objective, w, allCoordinates(totalLength(w)), DEFAULT_RELATIVE_STEP);
  }

  /**
   * Checks {@code objective} at {@code w} on {@code k} distinct coordinates drawn with
   * {@link #randomCoordinates}(n, k, seed) (all of them when k &ge; n).
   */
  public static Result check(PartitionedObjective objective, double[][] w, int k, long seed) {
    return check(objective, w, randomCoordinates(totalLength(w), k, seed), DEFAULT_RELATIVE_STEP);
  }

  /** Checks {@code objective} at {@code w} on the given flat coordinates. */
  public static Result check(PartitionedObjective objective, double[][] w, int[] coordinates,
      double relativeStep) {
    int[] offsets = blockOffsets(objective, w);
    double[][] g = new double[w.length][];
    evaluate(objective, w, g);
    double[][] trial = new double[w.length][];
    for (int b = 0; b < w.length; b++) {
      trial[b] = w[b].clone();
    }
    Worst worst = new Worst(coordinates.length);
    for (int j : coordinates) {
      Checks.checkArgument(j >= 0 && j < offsets[w.length],
          "coordinate must be in [0, %s), but was: %s", offsets[w.length], j);
      int b = blockOf(offsets, j);
      int q = j - offsets[b];
      double x = w[b][q];
      double h = step(x, relativeStep);
      double xp = x + h;
      double xm = x - h;
      trial[b][q] = xp;
      double fp = evaluate(objective, trial, null);
      trial[b][q] = xm;
      double fm = evaluate(objective, trial, null);
      trial[b][q] = x;
      worst.offer(j, g[b][q], (fp - fm) / (xp - xm));
    }
    return worst.result();
  }

  /**
   * f at the blocked point {@code w}, computed in the three phases in block order as the executors
   * do; when {@code gradientOut} is not null, {@code gradientOut[b]} is set to a new array holding
   * g<sub>b</sub>.
   */
  public static double evaluate(PartitionedObjective objective, double[][] w,
      double[][] gradientOut) {
    blockOffsets(objective, w);
    int blocks = w.length;
    double[][] margins = new double[blocks][];
    double[][] partials = new double[blocks][];
    for (int b = 0; b < blocks; b++) {
      margins[b] = objective.margins(b, w[b].clone());
      partials[b] = objective.partialStatistics(b, margins[b]);
    }
    CombinedStatistics combined = objective.combine(partials);
    double f = combined.dataLoss();
    for (int b = 0; b < blocks; b++) {
      double[] g = new double[w[b].length];
      f += objective.gradient(b, w[b].clone(), margins[b], combined.broadcast(), g);
      if (gradientOut != null) {
        gradientOut[b] = g;
      }
    }
    return f;
  }

  /**
   * k distinct indices in [0, n), ascending, drawn by {@link Random}(seed) (whose algorithm Java
   * specifies, so the subset is the same on every JVM); all n indices when k &ge; n.
   */
  public static int[] randomCoordinates(int n, int k, long seed) {
    Checks.checkArgument(n >= 0, "n must be non-negative, but was: %s", n);
    Checks.checkArgument(k >= 1, "k must be positive, but was: %s", k);
    if (k >= n) {
      return allCoordinates(n);
    }
    Random random = new Random(seed);
    java.util.BitSet chosen = new java.util.BitSet(n);
    int count = 0;
    while (count < k) {
      int j = random.nextInt(n);
      if (!chosen.get(j)) {
        chosen.set(j);
        count++;
      }
    }
    return chosen.stream().toArray();
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

  /** Tracks the largest relative error. */
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
        e = Double.POSITIVE_INFINITY; // a NaN gradient or value must fail the check
      }
      if (e > error) {
        error = e;
        coordinate = j;
        analytic = a;
        numeric = n;
      }
    }

    Result result() {
      return new Result(Math.max(error, 0), coordinate, analytic, numeric, checked);
    }
  }
}

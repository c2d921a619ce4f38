package org.lbfgsbeam.core.data;

import java.util.Locale;
import org.lbfgsbeam.core.Checks;

/**
 * A largest feature index far beyond the number of features a set uses: D is the largest index, so
 * one line with {@code 2000000000:1} among features 1..100 gives every class two billion weights.
 * That is almost always a hashing or export error (a hash written without its modulus, a row id
 * written as a feature), so a run says so before it plans its memory around it.
 *
 * <p>Suspect when D &gt; {@value #MIN_INDEX} and D &gt; {@value #MIN_RATIO} &times; the distinct
 * features used: hashed feature spaces of 2<sup>20</sup> to 2<sup>24</sup> with a fair share of
 * them used, and dense sets, are not; a set that uses one in a thousand of its indices past a
 * million is.
 *
 * @param largestIndex the largest 1-based feature index, D
 * @param line the line of the file that holds it, or 0 when not known
 * @param distinctFeatures the number of features with at least one nonzero
 */
public record SuspectFeatureIndex(int largestIndex, long line, int distinctFeatures) {
  /** D must be above this to be suspect. */
  public static final int MIN_INDEX = 1_000_000;
  /** D must be more than this many times the distinct features to be suspect. */
  public static final int MIN_RATIO = 1000;

  public SuspectFeatureIndex {
    Checks.checkArgument(largestIndex >= 1 && line >= 0 && distinctFeatures >= 0,
        "index, line and count must be positive (line 0: unknown), but were: %s, %s, %s",
        largestIndex, line, distinctFeatures);
  }

  /**
   * The suspect index of {@code data}, or null when there is none. Counts the distinct features
   * only when D is above {@link #MIN_INDEX} ({@link SparseDataset#distinctFeatures()}).
   */
  public static SuspectFeatureIndex of(SparseDataset data) {
    Checks.checkArgument(data != null, "data must not be null");
    int d = data.numFeatures();
    if (d <= MIN_INDEX) {
      return null;
    }
    int distinct = data.distinctFeatures();
    if (d <= (long) MIN_RATIO * distinct) {
      return null;
    }
    return new SuspectFeatureIndex(d, data.largestIndexLine(), distinct);
  }

  /** D over the distinct features used (over 1 when none is). */
  public double ratio() {
    return (double) largestIndex / Math.max(1, distinctFeatures);
  }

  /**
   * E.g. "feature index 2000000000 on line 1 of train.libsvm is 2.0e9 times the 1 distinct features
   * used: a hashing or export error?".
   *
   * @param source the file, as the user named it
   */
  public String message(String source) {
    return "feature index " + largestIndex + (line > 0 ? " on line " + line + " of " : " of ")
        + source + " is " + times(ratio()) + " times the "
        + String.format(Locale.ROOT, "%,d", distinctFeatures) + " distinct feature"
        + (distinctFeatures == 1 ? "" : "s") + " used: a hashing or export error?";
  }

  /** 2.0e9 for large ratios, 1,234 below 10<sup>4</sup>. */
  static String times(double ratio) {
    if (ratio < 1e4) {
      return String.format(Locale.ROOT, "%,.0f", ratio);
    }
    int exponent = (int) Math.floor(Math.log10(ratio));
    double mantissa = ratio / Math.pow(10, exponent);
    if (mantissa >= 9.95) { // 9.96e7 prints as 1.0e8, not 10.0e7
      mantissa /= 10;
      exponent++;
    }
    return String.format(Locale.ROOT, "%.1fe%d", mantissa, exponent);
  }
}

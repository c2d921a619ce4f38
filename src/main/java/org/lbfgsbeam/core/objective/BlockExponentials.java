package org.lbfgsbeam.core.objective;

/**
 * What one class block of {@link SoftmaxObjective} keeps from one phase of an evaluation to the
 * next, in arrays that are reused across evaluations:
 * <ul>
 *   <li>the <b>shifted exponentials</b> e<sub>ic</sub> = exp(z<sub>ic</sub> &minus;
 *       m<sub>i</sub>) of margins z (N&times;K<sub>b</sub>), with an array whose entries [0, N) are
 *       the row maxima m<sub>i</sub> = max<sub>c</sub> z<sub>ic</sub>: written by {@code
 *       partialStatistics} (the maxima are its statistics' first N entries), or by a slope on
 *       margins whose e was not kept (the maxima then in an array of this block's own);</li>
 *   <li>with them, the <b>factors</b> r<sub>i</sub> = exp(m<sub>i</sub> &minus; log
 *       Z<sub>i</sub>) (N) of normalisers log Z, written by a slope ({@code
 *       directionalDerivative}, {@code slopePartialsAtTrial}). The probabilities p<sub>ic</sub> =
 *       e<sub>ic</sub>&middot;r<sub>i</sub> are never stored: whoever reads them multiplies.</li>
 * </ul>
 * Either may be absent: nothing readable, e alone, or e with r.
 *
 * <p>Margins, statistics and normalisers are recognised by identity (the same array objects), never
 * by content: a caller that passes a copy misses and the objective forms the same values again
 * with the same arithmetic, so whether a look-up hits never changes a bit. Neither the margins,
 * the statistics nor the normalisers may be modified between the statistics and the slope or
 * gradient that read them (no executor does: margins are rewritten only after those phases,
 * statistics and normalisers never); a gradient forgets what it read. One thread at a time per
 * block.
 */
final class BlockExponentials {
  private double[] values;
  /** The margins {@link #values} came from; null when they may not be read. */
  private double[] margins;
  /** Non-null when {@link #values} holds e: an array whose [0, N) are m. */
  private double[] statistics;
  /** The maxima of e that a slope formed itself (reused across evaluations). */
  private double[] maxima;
  /** r of {@link #normalisers} over the held e. */
  private double[] factors;
  /** Non-null when {@link #factors} holds r: the normalisers log Z they were formed with. */
  private double[] normalisers;

  /**
   * The array to write {@code length} exponentials e into (allocated only when there is none of
   * that length); nothing held may be read any more.
   */
  double[] buffer(int length) {
    forget();
    if (values == null || values.length != length) {
      values = new double[length];
    }
    return values;
  }

  /**
   * The array to write {@code n} maxima into beside {@link #buffer} (allocated only when there is
   * none of that length), for {@link #holdShifted}.
   */
  double[] maximaBuffer(int n) {
    if (maxima == null || maxima.length != n) {
      maxima = new double[n];
    }
    return maxima;
  }

  /**
   * The array to write {@code n} factors r into (allocated only when there is none of that
   * length); the factors held may no longer be read (e still may).
   */
  double[] factorsBuffer(int n) {
    normalisers = null;
    if (factors == null || factors.length != n) {
      factors = new double[n];
    }
    return factors;
  }

  /**
   * {@link #buffer} now holds e of {@code z}, whose maxima are [0, N) of {@code statistics}; no
   * factors.
   */
  void holdShifted(double[] z, double[] statistics) {
    this.margins = z;
    this.statistics = statistics;
    this.normalisers = null;
  }

  /** {@link #factorsBuffer} now holds r of {@code logZ} over the held e. */
  void holdFactors(double[] logZ) {
    this.normalisers = logZ;
  }

  /** Whether e of this very margins array is held. */
  boolean holdsShifted(double[] z) {
    return z == margins && statistics != null;
  }

  /** Whether e of this very margins array and r of these very normalisers are held. */
  boolean holdsFactors(double[] z, double[] logZ) {
    return holdsShifted(z) && normalisers != null && logZ == normalisers;
  }

  /** The held e, as {@link #holdsShifted} says. */
  double[] values() {
    return values;
  }

  /** The array whose [0, N) are the maxima of the held e. */
  double[] statistics() {
    return statistics;
  }

  /** The held r, as {@link #holdsFactors} says. */
  double[] factors() {
    return factors;
  }

  /** Nothing held may be read any more (the arrays are kept for reuse). */
  void forget() {
    margins = null;
    statistics = null;
    normalisers = null;
  }
}

package org.lbfgsbeam.core.objective;

/**
 * The N&times;K<sub>b</sub> exponentials that one class block of {@link SoftmaxObjective} keeps
 * from one phase of an evaluation to the next, in one array that is reused across evaluations. By
 * what it was last given, the array holds
 * <ul>
 *   <li><b>shifted exponentials</b> e<sub>ic</sub> = exp(z<sub>ic</sub> &minus; m<sub>i</sub>) of
 *       margins z, written by {@code partialStatistics}, with the statistics array whose entries
 *       [0, N) are the row maxima m<sub>i</sub> = max<sub>c</sub> z<sub>ic</sub>; or</li>
 *   <li><b>probabilities</b> p<sub>ic</sub> = e<sub>ic</sub>&middot;exp(m<sub>i</sub> &minus;
 *       log Z<sub>i</sub>) of margins z and normalisers log Z, written over e by {@code
 *       directionalDerivative}; or</li>
 *   <li>nothing that may be read.</li>
 * </ul>
 * Margins, statistics and normalisers are recognised by identity (the same array objects), never
 * by content: a caller that passes a copy misses and the objective forms the same values again
 * with the same arithmetic, so whether a look-up hits never changes a bit. Neither the margins
 * nor the statistics may be modified between the statistics and the slope or gradient that read
 * them (no executor does: margins are rewritten only after those phases, statistics never); a
 * gradient forgets what it read. One thread at a time per block.
 */
final class BlockExponentials {
  private double[] values;
  /** The margins {@link #values} came from; null when they may not be read. */
  private double[] margins;
  /** Non-null when {@link #values} holds e: the statistics whose [0, N) are m. */
  private double[] statistics;
  /** Non-null when {@link #values} holds p: the normalisers log Z they were formed with. */
  private double[] normalisers;

  /**
   * The array to write {@code length} exponentials into (allocated only when there is none of that
   * length); what it held may no longer be read.
   */
  double[] buffer(int length) {
    forget();
    if (values == null || values.length != length) {
      values = new double[length];
    }
    return values;
  }

  /** {@link #buffer} now holds e of {@code z}, whose maxima are [0, N) of {@code statistics}. */
  void holdShifted(double[] z, double[] statistics) {
    this.margins = z;
    this.statistics = statistics;
    this.normalisers = null;
  }

  /** {@link #buffer} now holds p of {@code z} and {@code logZ}. */
  void holdProbabilities(double[] z, double[] logZ) {
    this.margins = z;
    this.statistics = null;
    this.normalisers = logZ;
  }

  /** Whether e of this very margins array is held. */
  boolean holdsShifted(double[] z) {
    return z == margins && statistics != null;
  }

  /** Whether p of this very margins array and these very normalisers is held. */
  boolean holdsProbabilities(double[] z, double[] logZ) {
    return z == margins && normalisers != null && logZ == normalisers;
  }

  /** The held exponentials: e or p, as {@link #holdsShifted} or {@link #holdsProbabilities} say. */
  double[] values() {
    return values;
  }

  /** The statistics whose [0, N) are the maxima of the held e. */
  double[] statistics() {
    return statistics;
  }

  /** Nothing held may be read any more (the array is kept for reuse). */
  void forget() {
    margins = null;
    statistics = null;
    normalisers = null;
  }
}

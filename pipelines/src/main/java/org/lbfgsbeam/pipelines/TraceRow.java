package org.lbfgsbeam.pipelines;

/**
 * One line of {@code trace.csv}: the state after an iteration (iteration 0 is the start point).
 *
 * @param iteration completed iterations
 * @param evaluations objective evaluations so far (passes over the data)
 * @param objective f
 * @param gradientNorm max|g|
 * @param step the accepted step t (0 at the start point)
 * @param seconds wall time since the run started (across resumes)
 */
record TraceRow(int iteration, int evaluations, double objective, double gradientNorm, double step,
    double seconds) {

  static final String HEADER = "iteration,evaluations,objective,gradientNorm,step,seconds";

  String csv() {
    return iteration + "," + evaluations + "," + Numbers.exact(objective) + ","
        + Numbers.exact(gradientNorm) + "," + Numbers.exact(step) + ","
        + String.format(java.util.Locale.ROOT, "%.3f", seconds);
  }
}

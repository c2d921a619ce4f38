package org.lbfgsbeam.pipelines.training;

/**
 * One line of {@code trace.csv}: the state after an iteration (iteration 0 is the start point).
 *
 * @param iteration completed iterations
 * @param evaluations objective evaluations so far (passes over the data)
 * @param objective f
 * @param gradientNorm max|g|
 * @param step the accepted step t (0 at the start point)
 * @param seconds wall time since the run started (across resumes)
 * @param validationAccuracy accuracy on {@code --validation} at this iterate, or null when not
 *     (yet) computed; a column of trace.csv only in runs with validation
 */
public record TraceRow(int iteration, int evaluations, double objective, double gradientNorm, double step,
    double seconds, Double validationAccuracy) {

  static final String HEADER = "iteration,evaluations,objective,gradientNorm,step,seconds";
  public static final String HEADER_WITH_VALIDATION = HEADER + ",validationAccuracy";

  /** A row without validation accuracy. */
  public TraceRow(int iteration, int evaluations, double objective, double gradientNorm, double step,
      double seconds) {
    this(iteration, evaluations, objective, gradientNorm, step, seconds, null);
  }

  TraceRow withValidationAccuracy(double accuracy) {
    return new TraceRow(iteration, evaluations, objective, gradientNorm, step, seconds, accuracy);
  }

  String csv() {
    return iteration + "," + evaluations + "," + Numbers.exact(objective) + ","
        + Numbers.exact(gradientNorm) + "," + Numbers.exact(step) + ","
        + String.format(java.util.Locale.ROOT, "%.3f", seconds);
  }

  /** {@link #csv()}, plus the validation accuracy column (empty when not computed) if asked. */
  String csv(boolean withValidation) {
    if (!withValidation) {
      return csv();
    }
    // A ratio of counts: the shortest decimal that reads back to the same double.
    return csv() + "," + (validationAccuracy == null ? "" : Double.toString(validationAccuracy));
  }
}

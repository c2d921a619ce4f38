package org.lbfgsbeam.sparkpeer;

/**
 * The objective lbfgs-beam minimises, computed here directly (a plain loop, no Spark) to check that
 * Spark's reported objective is the same function:
 *
 * <pre>
 *   f(W) = (1/N) sum_i [ log sum_k exp(w_k . x_i) - w_{y_i} . x_i ]  +  (lambda/2) ||W||_F^2
 * </pre>
 *
 * W is K x D, row-major ({@code w[k * D + j]}). The log-sum-exp subtracts the largest margin first,
 * so no exp overflows.
 */
final class SoftmaxObjective {
  private SoftmaxObjective() {}

  static double value(LibsvmFile data, double lambda, double[] w) {
    int k = data.numClasses();
    int d = data.numFeatures;
    double[] margins = new double[k]; // K
    double loss = 0;
    for (int i = 0; i < data.numExamples(); i++) {
      for (int c = 0; c < k; c++) {
        double m = 0;
        for (int p = data.rowOffsets[i]; p < data.rowOffsets[i + 1]; p++) {
          m += w[c * d + data.columns[p]] * data.values[p];
        }
        margins[c] = m;
      }
      double max = Double.NEGATIVE_INFINITY;
      for (double m : margins) {
        max = Math.max(max, m);
      }
      double sum = 0;
      for (double m : margins) {
        sum += Math.exp(m - max);
      }
      loss += max + Math.log(sum) - margins[data.classes[i]];
    }
    double squares = 0;
    for (double v : w) {
      squares += v * v;
    }
    return loss / data.numExamples() + 0.5 * lambda * squares;
  }
}

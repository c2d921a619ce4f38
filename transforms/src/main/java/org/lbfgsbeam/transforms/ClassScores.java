package org.lbfgsbeam.transforms;

/**
 * Per example of a data set the {@code top} most probable classes of a model, best first (margin
 * descending, then class index ascending), with their probabilities, and the log-loss when the true
 * classes were given: what {@link SoftmaxScoring.DatasetScorer} and {@link NetworkScoring} give the
 * command line ({@code evaluate}, {@code predict}, validation during training).
 *
 * @param examples N
 * @param top k
 * @param topClass int[N&times;k], class indices of the model
 * @param topProbability double[N&times;k], their probabilities (a squared-error network: its raw
 *     outputs)
 * @param logLoss double[N], &minus;log p<sub>i,y<sub>i</sub></sub>, or null when the true classes
 *     were not given (NaN for a squared-error network)
 */
public record ClassScores(int examples, int top, int[] topClass, double[] topProbability,
    double[] logLoss) {
  /** Example i's most probable class. */
  public int predicted(int i) {
    return topClass[i * top];
  }

  /** Example i's class of rank {@code rank} (0 is the most probable). */
  public int classAt(int i, int rank) {
    return topClass[i * top + rank];
  }

  /** Its probability. */
  public double probabilityAt(int i, int rank) {
    return topProbability[i * top + rank];
  }
}

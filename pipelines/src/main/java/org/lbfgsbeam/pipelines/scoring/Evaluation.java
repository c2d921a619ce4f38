package org.lbfgsbeam.pipelines.scoring;

import java.io.IOException;
import java.io.Writer;
import java.util.Arrays;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.transforms.ClassScores;

/**
 * Classification metrics of a test set's scores: accuracy, top-k accuracy, mean log-loss, and per
 * class precision, recall and F1 with the confusion matrix. For class c with tp<sub>c</sub> examples
 * of class c predicted as c:
 * <pre>
 *   precision = tp / (examples predicted as c),   recall = tp / (examples of class c),
 *   F1 = 2 &middot; precision &middot; recall / (precision + recall)
 * </pre>
 * each 0 when its denominator is 0 (scikit-learn's {@code zero_division=0}). The macro averages run
 * over the classes the test set holds (support &gt; 0). The log-loss is the mean of &minus;ln
 * p<sub>i,y<sub>i</sub></sub> (natural logarithm).
 *
 * @param classLabels int[K], the original label of each class
 * @param trueClass int[N], each example's class
 * @param predicted int[N], each example's most probable class
 * @param top k of the top-k accuracy
 * @param accuracy fraction of examples predicted right
 * @param topAccuracy fraction whose class is among their k most probable
 * @param logLoss mean &minus;ln p of the true class
 * @param support long[K], examples of each class
 * @param predictedCount long[K], examples predicted as each class
 * @param correct long[K], examples of each class predicted right
 */
record Evaluation(int[] classLabels, int[] trueClass, int[] predicted, int top, double accuracy,
    double topAccuracy, double logLoss, long[] support, long[] predictedCount, long[] correct) {

  /** The metrics of {@code scores} against the true classes. */
  static Evaluation of(ClassScores scores, int[] trueClass, int[] classLabels) {
    int n = scores.examples();
    int k = classLabels.length;
    Checks.checkArgument(trueClass.length == n, "one true class per example");
    Checks.checkArgument(scores.logLoss() != null, "scores without true classes");
    int[] predicted = new int[n];
    long[] support = new long[k];
    long[] predictedCount = new long[k];
    long[] correct = new long[k];
    long right = 0;
    long inTop = 0;
    double loss = 0;
    for (int i = 0; i < n; i++) {
      int y = trueClass[i];
      int p = scores.predicted(i);
      predicted[i] = p;
      support[y]++;
      predictedCount[p]++;
      if (p == y) {
        correct[y]++;
        right++;
      }
      for (int r = 0; r < scores.top(); r++) {
        if (scores.classAt(i, r) == y) {
          inTop++;
          break;
        }
      }
      loss += scores.logLoss()[i];
    }
    return new Evaluation(classLabels, trueClass, predicted, scores.top(), (double) right / n,
        (double) inTop / n, loss / n, support, predictedCount, correct);
  }

  int examples() {
    return trueClass.length;
  }

  double precision(int c) {
    return predictedCount[c] == 0 ? 0 : (double) correct[c] / predictedCount[c];
  }

  double recall(int c) {
    return support[c] == 0 ? 0 : (double) correct[c] / support[c];
  }

  double f1(int c) {
    double p = precision(c);
    double r = recall(c);
    return p + r == 0 ? 0 : 2 * p * r / (p + r);
  }

  /** The classes the test set holds. */
  int presentClasses() {
    return (int) Arrays.stream(support).filter(s -> s > 0).count();
  }

  double macroPrecision() {
    return macro(0);
  }

  double macroRecall() {
    return macro(1);
  }

  double macroF1() {
    return macro(2);
  }

  private double macro(int which) {
    double sum = 0;
    int present = 0;
    for (int c = 0; c < support.length; c++) {
      if (support[c] > 0) {
        present++;
        sum += which == 0 ? precision(c) : which == 1 ? recall(c) : f1(c);
      }
    }
    return present == 0 ? Double.NaN : sum / present;
  }

  /**
   * Writes the confusion matrix as CSV: a header {@code true\predicted,<label>,...}, then per true
   * class a row of its label and the counts of each predicted class, in class order. One row is in
   * memory at a time (K counts), whatever K.
   */
  void writeConfusion(Writer out) throws IOException {
    int k = classLabels.length;
    int n = trueClass.length;
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Integer.compare(trueClass[a], trueClass[b]));
    StringBuilder line = new StringBuilder("true\\predicted");
    for (int label : classLabels) {
      line.append(',').append(label);
    }
    out.write(line.append('\n').toString());
    long[] row = new long[k];
    int at = 0;
    for (int c = 0; c < k; c++) {
      Arrays.fill(row, 0);
      while (at < n && trueClass[order[at]] == c) {
        row[predicted[order[at]]]++;
        at++;
      }
      line.setLength(0);
      line.append(classLabels[c]);
      for (long count : row) {
        line.append(',').append(count);
      }
      out.write(line.append('\n').toString());
    }
  }
}

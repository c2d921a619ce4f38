package org.lbfgsbeam.pipelines.training;

import java.nio.file.Path;
import org.lbfgsbeam.core.data.InputFormatException;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.partition.Partitioning;
import org.lbfgsbeam.pipelines.data.DataFiles;
import org.lbfgsbeam.transforms.ClassScores;
import org.lbfgsbeam.transforms.NetworkModelFiles;
import org.lbfgsbeam.transforms.NetworkScoring;
import org.lbfgsbeam.transforms.ObjectiveSpec;
import org.lbfgsbeam.transforms.SoftmaxScoring;

/**
 * The accuracy of a training run's current weights on a held-out set ({@code train --validation}):
 * the fraction of examples whose most probable class is their own. It reads the weights in the
 * optimiser's block layout, so it needs no copy of the model:
 * <ul>
 *   <li>softmax: blocks of classes, each D&times;K<sub>b</sub> feature-major, scored a block at a
 *       time by {@link SoftmaxScoring.DatasetScorer} (ties to the smaller class), the scorer of
 *       {@code evaluate} and {@code ScoreExamples};</li>
 *   <li>a network: {@link NetworkScoring}, the same;</li>
 *   <li>logistic: blocks of features; class 1 (the larger label) when w&middot;x &gt; 0.</li>
 * </ul>
 * The validation set's labels are re-indexed to the training set's classes (a label the training set
 * lacks is an error) and features beyond the training set's D are ignored.
 */
final class ValidationScorer {
  private final ObjectiveSpec.Model model;
  private final SparseDataset data;
  private final int features;
  private final int classes;
  private final org.lbfgsbeam.core.nn.MultilayerPerceptron network;

  private ValidationScorer(ObjectiveSpec.Model model, SparseDataset data, int features,
      int classes, org.lbfgsbeam.core.nn.MultilayerPerceptron network) {
    this.model = model;
    this.network = network;
    this.data = data;
    this.features = features;
    this.classes = classes;
  }

  /**
   * @param file the validation file, for messages
   * @throws InputFormatException naming {@code file} if it has a label the training set has not
   * @throws IllegalArgumentException for least squares, which has no accuracy
   */
  static ValidationScorer prepare(Path file, SparseDataset validation, SparseDataset training,
      ObjectiveSpec.Model model) throws InputFormatException {
    return prepare(file, validation, training, model, null);
  }

  /** As above; {@code network} is the network of an {@link ObjectiveSpec.Model#MLP} run. */
  static ValidationScorer prepare(Path file, SparseDataset validation, SparseDataset training,
      ObjectiveSpec.Model model, org.lbfgsbeam.core.nn.MultilayerPerceptron network)
      throws InputFormatException {
    if (model == ObjectiveSpec.Model.LEAST_SQUARES) {
      throw new IllegalArgumentException("validation accuracy needs a classifier (softmax or"
          + " logistic), not least squares");
    }
    SparseDataset aligned = DataFiles.alignTo(validation, training.classLabels(),
        training.numFeatures(), file);
    return new ValidationScorer(model, aligned, training.numFeatures(), training.numClasses(),
        network);
  }

  /** The accuracy of the weights {@code blocks}, laid out as {@code partitioning} says. */
  double accuracy(Partitioning partitioning, double[][] blocks) {
    int n = data.numExamples();
    int[] labels = data.labels();
    int correct = 0;
    if (model == ObjectiveSpec.Model.MLP) {
      double[] theta = org.lbfgsbeam.core.optim.Lbfgs.concatenate(blocks);
      ClassScores scores = NetworkScoring.score(
          new NetworkModelFiles.Network(network, theta, new int[classes], 0), data, null, 1);
      for (int i = 0; i < n; i++) {
        if (scores.predicted(i) == labels[i]) {
          correct++;
        }
      }
    } else if (model == ObjectiveSpec.Model.SOFTMAX) {
      SoftmaxScoring.DatasetScorer scorer = new SoftmaxScoring.DatasetScorer(data, null, features,
          classes, blocks.length, 1);
      for (int b = 0; b < blocks.length; b++) {
        scorer.addBlock(b, partitioning.firstUnit(b), partitioning.unitCount(b), blocks[b]);
      }
      ClassScores scores = scorer.finish();
      for (int i = 0; i < n; i++) {
        if (scores.predicted(i) == labels[i]) {
          correct++;
        }
      }
    } else {
      double[] w = new double[features];
      for (int b = 0; b < blocks.length; b++) {
        System.arraycopy(blocks[b], 0, w, partitioning.firstUnit(b), partitioning.unitCount(b));
      }
      int[] rows = data.rowOffsets();
      int[] cols = data.columns();
      double[] vals = data.values();
      for (int i = 0; i < n; i++) {
        double margin = 0;
        for (int p = rows[i]; p < rows[i + 1] && cols[p] < features; p++) {
          margin += vals[p] * w[cols[p]];
        }
        if ((margin > 0 ? 1 : 0) == labels[i]) {
          correct++;
        }
      }
    }
    return n == 0 ? Double.NaN : (double) correct / n;
  }
}

package org.lbfgsbeam.pipelines;

import java.io.IOException;
import java.nio.file.Path;
import org.lbfgsbeam.core.data.SparseDataset;

/**
 * A trained classifier that {@code evaluate} and {@code predict} score: a softmax model
 * ({@link SavedModel}, read a class block at a time) or a network ({@link NetworkModel}).
 */
interface ClassifierModel {
  /** The model directory. */
  Path dir();

  /** K. */
  int classes();

  /** The input features the model reads (columns beyond are ignored). */
  int features();

  /** The original label of class c at index c, ascending. */
  int[] labels();

  /**
   * The top-{@code top} classes and probabilities of every example, and its log-loss when
   * {@code trueClass} (class indices of the model) is given.
   */
  SoftmaxScorer.Scores score(SparseDataset data, int[] trueClass, int top) throws IOException;

  /**
   * Opens the model in {@code dir} (a model directory or a run directory holding {@code model/}) for
   * {@code command}: a network, or a softmax model (any other linear model is refused).
   */
  static ClassifierModel open(Path dir, String command) throws IOException {
    if (NetworkModel.isNetwork(dir)) {
      return NetworkModel.read(dir);
    }
    SavedModel model = SavedModel.open(dir);
    model.requireSoftmax(command);
    return model;
  }
}

package org.lbfgsbeam.pipelines.scoring;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.pipelines.cli.CommandLine;
import org.lbfgsbeam.transforms.ClassScores;
import org.lbfgsbeam.transforms.LinearModelFiles;
import org.lbfgsbeam.transforms.NetworkModelFiles;
import org.lbfgsbeam.transforms.NetworkScoring;
import org.lbfgsbeam.transforms.SoftmaxScoring;

/**
 * A trained classifier that {@code evaluate} and {@code predict} score: a softmax model (read and
 * scored a class block at a time) or a network, read and scored by the model library of the
 * transforms module ({@link LinearModelFiles} and {@link SoftmaxScoring}, {@link NetworkModelFiles}
 * and {@link NetworkScoring}), the code {@code ScoreExamples} runs.
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
  ClassScores score(SparseDataset data, int[] trueClass, int top) throws IOException;

  /**
   * Opens the model in {@code dir} (a model directory or a run directory holding {@code model/}) for
   * {@code command}: a network, or a softmax model (any other linear model is refused).
   *
   * @throws java.nio.file.NoSuchFileException if there is no model.json
   * @throws org.lbfgsbeam.core.data.InputFormatException naming the file that is not what this code
   *     writes
   */
  static ClassifierModel open(Path dir, String command) throws IOException {
    Path modelDir = modelDirectory(dir);
    if (NetworkModelFiles.isNetwork(modelDir.toString())) {
      return new Network(modelDir, NetworkModelFiles.read(modelDir.toString()));
    }
    LinearModelFiles.Info info = LinearModelFiles.readInfo(modelDir.toString());
    if (!info.isSoftmax()) {
      throw new CommandLine.UsageException(command + " scores softmax models, but "
          + modelDir.resolve("model.json") + " is a " + info.model() + " model");
    }
    return new Softmax(modelDir, info);
  }

  /** {@code dir}, or its {@code model/} if {@code dir} is a run directory. */
  static Path modelDirectory(Path dir) {
    return !Files.exists(dir.resolve("model.json"))
        && Files.exists(dir.resolve("model").resolve("model.json")) ? dir.resolve("model") : dir;
  }

  /** A softmax model, its weights read a class block at a time when it scores. */
  record Softmax(Path dir, LinearModelFiles.Info info) implements ClassifierModel {
    @Override
    public int classes() {
      return info.classes();
    }

    @Override
    public int features() {
      return info.features();
    }

    @Override
    public int[] labels() {
      return info.labels();
    }

    @Override
    public ClassScores score(SparseDataset data, int[] trueClass, int top) throws IOException {
      return SoftmaxScoring.score(info, data, trueClass, top);
    }
  }

  /** A network, read whole. */
  record Network(Path dir, NetworkModelFiles.Network model) implements ClassifierModel {
    @Override
    public int classes() {
      return model.classes();
    }

    @Override
    public int features() {
      return model.features();
    }

    @Override
    public int[] labels() {
      return model.labels().clone();
    }

    @Override
    public ClassScores score(SparseDataset data, int[] trueClass, int top) {
      return NetworkScoring.score(model, data, trueClass, top);
    }
  }
}

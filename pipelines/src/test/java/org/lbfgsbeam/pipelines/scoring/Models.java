package org.lbfgsbeam.pipelines;

import java.io.IOException;
import java.nio.file.Path;
import org.lbfgsbeam.transforms.LinearModelFiles;
import org.lbfgsbeam.transforms.NetworkModelFiles;

/** Reads the models that the commands under test write, with the model library. */
final class Models {
  private Models() {}

  /** The network in {@code dir}, a model directory or a run directory holding {@code model/}. */
  static NetworkModelFiles.Network network(Path dir) throws IOException {
    return NetworkModelFiles.read(ClassifierModel.modelDirectory(dir).toString());
  }

  /** The description of the linear model in {@code dir} (a model or run directory). */
  static LinearModelFiles.Info linear(Path dir) throws IOException {
    return LinearModelFiles.readInfo(ClassifierModel.modelDirectory(dir).toString());
  }

  /** The softmax weights in {@code dir} (a model or run directory), K&times;D. */
  static double[][] softmaxWeights(Path dir) throws IOException {
    return LinearModelFiles.readSoftmaxWeights(linear(dir));
  }
}

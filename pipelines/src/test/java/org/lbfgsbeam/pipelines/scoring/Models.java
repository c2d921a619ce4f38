package org.lbfgsbeam.pipelines.scoring;

import java.io.IOException;
import java.nio.file.Path;
import org.lbfgsbeam.transforms.LinearModelFiles;
import org.lbfgsbeam.transforms.NetworkModelFiles;

/** Reads the models that the commands under test write, with the model library. */
public final class Models {
  private Models() {}

  /** The network in {@code dir}, a model directory or a run directory holding {@code model/}. */
  public static NetworkModelFiles.Network network(Path dir) throws IOException {
    return NetworkModelFiles.read(ClassifierModel.modelDirectory(dir).toString());
  }

  /** The description of the linear model in {@code dir} (a model or run directory). */
  public static LinearModelFiles.Info linear(Path dir) throws IOException {
    return LinearModelFiles.readInfo(ClassifierModel.modelDirectory(dir).toString());
  }

  /** The softmax weights in {@code dir} (a model or run directory), K&times;D. */
  public static double[][] softmaxWeights(Path dir) throws IOException {
    return LinearModelFiles.readSoftmaxWeights(linear(dir));
  }
}

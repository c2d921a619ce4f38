package org.lbfgsbeam.pipelines.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which commands relaunch with the native BLAS pinned ({@link BlasThreads}). */
class BlasThreadsTest {
  @Test
  void linearLbfgsTrainingAndGenerateRunInTheirOwnJvm() {
    assertFalse(BlasThreads.mayLoadNativeBlas(List.of("train", "--data", "x.libsvm")));
    assertFalse(BlasThreads.mayLoadNativeBlas(List.of("train", "--model", "logistic")));
    assertFalse(BlasThreads.mayLoadNativeBlas(List.of("train", "--model=least-squares")));
    assertFalse(BlasThreads.mayLoadNativeBlas(List.of("train", "--optimizer", "lbfgs")));
    assertFalse(BlasThreads.mayLoadNativeBlas(List.of("generate", "--output", "x")));
  }

  @Test
  void networksStochasticOptimisersAndOtherCommandsRelaunch() {
    assertTrue(BlasThreads.mayLoadNativeBlas(List.of("train", "--model", "mlp")));
    assertTrue(BlasThreads.mayLoadNativeBlas(List.of("train", "--model=mlp")));
    assertTrue(BlasThreads.mayLoadNativeBlas(List.of("train", "--optimizer", "adam")));
    assertTrue(BlasThreads.mayLoadNativeBlas(List.of("evaluate", "--model", "dir")));
    assertTrue(BlasThreads.mayLoadNativeBlas(List.of("bench-network")));
    assertTrue(BlasThreads.mayLoadNativeBlas(List.of()));
  }
}

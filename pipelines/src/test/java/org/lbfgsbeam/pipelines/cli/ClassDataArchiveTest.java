package org.lbfgsbeam.pipelines.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** The class-data archive of the jar ({@link ClassDataArchive}): one per kind of run, made once. */
class ClassDataArchiveTest {
  @Test
  void eachCommandAndTrainRunnerHasItsOwnArchive() {
    assertEquals("train-local", ClassDataArchive.profile(new String[] {"train", "--data", "x"}));
    assertEquals("train-flink", ClassDataArchive.profile(
        new String[] {"train", "--runner", "flink", "--data", "x"}));
    assertEquals("train-direct", ClassDataArchive.profile(new String[] {"train", "--runner=direct"}));
    assertEquals("bench", ClassDataArchive.profile(new String[] {"bench", "--runner", "flink"}));
    assertEquals("none", ClassDataArchive.profile(new String[] {}));
    assertEquals("none", ClassDataArchive.profile(new String[] {"../x"}));
  }

  @Test
  void notFromAJarThereIsNone() {
    // The tests run from target/classes, not from a jar.
    assertNull(ClassDataArchive.forThisJar(new String[] {"train"}));
  }
}

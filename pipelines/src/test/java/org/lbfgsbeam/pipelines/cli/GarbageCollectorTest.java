package org.lbfgsbeam.pipelines.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The relaunched JVM's collector ({@link GarbageCollector}). */
class GarbageCollectorTest {
  private static final long GB = 1L << 30;

  @Test
  void parallelWithAFixedYoungGenerationUnlessTheUserChose() {
    assertEquals(List.of("-XX:+UseParallelGC", "-Xmn256m"),
        GarbageCollector.jvmOptions(List.of("-Xmx6g"), 6 * GB, null));
    assertEquals(List.of("-XX:+UseParallelGC", "-Xmn128m"),
        GarbageCollector.jvmOptions(List.of("-Xmx512m"), GB / 2, null));
    for (String users : List.of("-XX:+UseG1GC", "-XX:+UseZGC", "-XX:+UseSerialGC",
        "-XX:+UseParallelGC", "-Xmn1g", "-XX:NewSize=64m", "-XX:MaxNewSize=64m", "-XX:NewRatio=3")) {
      assertEquals(List.of(), GarbageCollector.jvmOptions(List.of("-Xmx6g", users), 6 * GB, null),
          users);
    }
    assertEquals(List.of(), GarbageCollector.jvmOptions(List.of("-Xmx6g"), 6 * GB, "jvm"));
  }
}

package org.lbfgsbeam.pipelines.cli;

import java.util.List;

/**
 * The relaunched JVM's ({@link BlasThreads}) garbage collector: the parallel collector with a young
 * generation of a fixed 256 MB (a quarter of the heap below 1 GB), unless the user chose a collector
 * or a young-generation size among the JVM options, or {@code LBFGS_BEAM_GC=jvm} asks for the JVM's
 * default (G1).
 *
 * <p>Why: an L-BFGS run holds a few large, long-lived arrays (the vectors, the margins) and makes
 * short-lived garbage around them (the data read, Flink's records). G1 allocates every array of half
 * a region or more (1 MB at {@code -Xmx6g}) as a humongous object and starts a concurrent cycle for
 * them: a flink run on text-63k made 25 such cycles in 5 s, whose marking competes with the two
 * block threads for this machine's two cores. The parallel collector has neither. Measured here,
 * {@code train} on text-63k (16 iterations, {@code -Xmx6g}), median of 3 runs alternated:
 * <table>
 *   <caption>G1 (the default) against the parallel collector with {@code -Xmn256m}</caption>
 *   <tr><th>runner</th><th>G1: training, whole</th><th>parallel: training, whole</th></tr>
 *   <tr><td>local</td><td>1.78 s, 4.09 s</td><td>1.24 s, 3.20 s</td></tr>
 *   <tr><td>flink</td><td>7.42 s, 10.53 s</td><td>5.55 s, 8.38 s</td></tr>
 * </table>
 * and the lshtc-small shape on local ({@code -Xmx9g}, 14 iterations): 20.5 s with G1, 17.6 s.
 *
 * <p>The young generation is fixed and small because the parallel collector's default (a third of
 * the heap) leaves the old generation, where arrays too large for the young one go, a third short:
 * the lshtc-small run's memory check then saw 8.0 GB of a 9 GB heap and refused to start.
 */
public final class GarbageCollector {
  /** The environment variable: {@code jvm} leaves the JVM's default collector. */
  static final String SWITCH = "LBFGS_BEAM_GC";
  static final long YOUNG_BYTES = 256L << 20;

  private GarbageCollector() {}

  /**
   * The options for a child of {@code maxHeapBytes} whose parent ran with {@code inputArguments},
   * given {@link #SWITCH}'s value (null: unset).
   */
  static List<String> jvmOptions(List<String> inputArguments, long maxHeapBytes, String choice) {
    if ("jvm".equalsIgnoreCase(choice)) {
      return List.of();
    }
    for (String a : inputArguments) {
      if (a.matches("-XX:[+-]Use\\w*GC") || a.startsWith("-Xmn") || a.startsWith("-XX:NewSize")
          || a.startsWith("-XX:MaxNewSize") || a.startsWith("-XX:NewRatio")) {
        return List.of(); // the user's choice
      }
    }
    long young = Math.min(YOUNG_BYTES, maxHeapBytes / 4);
    return List.of("-XX:+UseParallelGC", "-Xmn" + Math.max(1, young >> 20) + "m");
  }

  /** The options for a relaunched child of this JVM. */
  static List<String> jvmOptions() {
    return jvmOptions(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments(),
        Runtime.getRuntime().maxMemory(), System.getenv(SWITCH));
  }
}

package org.lbfgsbeam.core.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.lbfgsbeam.core.partition.MemoryPlan.Network;
import org.lbfgsbeam.core.partition.MemoryPlan.Runner;
import org.lbfgsbeam.core.partition.MemoryPlan.Shape;
import org.lbfgsbeam.core.partition.MemoryPlan.Term;

class MemoryPlanTest {
  private static final long GIB = 1L << 30;
  private static final long MB = 1L << 20;

  @Test
  void softmaxOnTheLocalRunnerCountsByHand() {
    // N = 10, D = 100, K = 3, 50 nonzeros, m = 5, P = 2: n = 300 doubles = 2,400 bytes a vector.
    // vectors: 6 x 2,400 = 14,400; history: 2 x 5 = 10 x 2,400 = 24,000;
    // margins: 6 x 10 x 3 x 8 = 1,440, statistics (3 x 2 x 10 + 10) x 8 = 560: 2,000;
    // data: 12 x 50 + 8 x 10 = 680; JVM: 64 MB = 67,108,864. Sum 67,149,944.
    MemoryPlan plan = MemoryPlan.softmax(new Shape(10, 100, 3, 50), 5, 2, 1, Runner.LOCAL);
    assertEquals(300, plan.parameters());
    assertEquals(List.of(14_400L, 24_000L, 2_000L, 680L, 64 * MB), bytes(plan.terms()));
    assertEquals(67_149_944L, plan.bytes());
    // + 15%: 77,222,435.6, rounded up.
    assertEquals(77_222_436L, plan.requiredHeap());
    assertTrue(plan.fits(77_222_436L));
    assertFalse(plan.fits(77_222_435L));
  }

  @Test
  void linearModelOnEmbeddedBeamCountsByHand() {
    // N = 10, D = 100, 50 nonzeros, m = 3, P = 4: n = 100 doubles = 800 bytes a vector.
    // vectors: 10 x 800 = 8,000; history: 2 x 3 = 6 x 800 = 4,800;
    // margins: 6 x 10 x 4 x 8 = 1,920 and 2 x 10 x 8 = 160: 2,080;
    // data, 2 copies of CSR (12 x 50 + 8 x 10 = 680) and transpose (600 + 8 x 100 + 80 = 1,480):
    // 4,320; JVM 256 MB = 268,435,456. Sum 268,454,656.
    MemoryPlan plan = MemoryPlan.linear(new Shape(10, 100, 2, 50), 3, 4, 2, Runner.EMBEDDED_BEAM);
    assertEquals(List.of(8_000L, 4_800L, 2_080L, 4_320L, 256 * MB), bytes(plan.terms()));
    assertEquals(268_454_656L, plan.bytes());
  }

  @Test
  void networkOnEmbeddedFlinkCountsByHand() {
    // Layers 4-5-3: (4+1) x 5 + (5+1) x 3 = 43 parameters = 344 bytes a vector; N = 20,
    // 40 nonzeros, batches of 10 in 2 shards, 4 threads, m = 2, P = 1.
    // vectors: 8 x 344 = 2,752; history: 2(2+1) = 6 x 344 = 2,064;
    // evaluation: 2 shards + min(4, 2) buffers + 3 = 7 x 344 = 2,408 and activations of the
    // layers after the input, 3 x 2 shards x 10 rows x (5+3) = 480 doubles = 3,840: 6,248;
    // data, 2 copies of CSR (12 x 40 + 8 x 20 = 640) and dense (8 x 20 x 4 + 4 x 20 = 720, one-hot
    // targets 8 x 20 x 3 = 480): 2 x 1,840 = 3,680; JVM 268,435,456. Sum 268,450,200.
    Network net = new Network(new long[] {4, 5, 3}, 10, 2, true);
    assertEquals(43, net.parameters());
    MemoryPlan plan = MemoryPlan.network(new Shape(20, 4, 3, 40), net, 2, 1, 4,
        Runner.EMBEDDED_FLINK);
    assertEquals(List.of(2_752L, 2_064L, 6_248L, 3_680L, 256 * MB), bytes(plan.terms()));
    assertEquals(268_450_200L, plan.bytes());
  }

  @Test
  void vectorCountsPerRunner() {
    // Full-length vectors at the peak, history m: local 6 + 2m, flink 8 + 2(m+1), Beam 10 + 2m.
    for (int m : new int[] {1, 5, 20}) {
      assertEquals(2 * m + 6, Runner.LOCAL.workingVectors() + Runner.LOCAL.historyVectors(m));
      assertEquals(2 * m + 10,
          Runner.EMBEDDED_FLINK.workingVectors() + Runner.EMBEDDED_FLINK.historyVectors(m));
      assertEquals(2 * m + 10,
          Runner.EMBEDDED_BEAM.workingVectors() + Runner.EMBEDDED_BEAM.historyVectors(m));
    }
    assertEquals(1, Runner.LOCAL.dataCopies());
    assertEquals(2, Runner.EMBEDDED_FLINK.dataCopies());
    assertEquals(2, Runner.EMBEDDED_BEAM.dataCopies());
  }

  @Test
  void documentedBenchmarkRunsFitTheirHeaps() {
    // docs/benchmarks.md, lshtc-small shape: 4,463 x 51,033, 1,139 classes, 195,052 nonzeros,
    // m = 5, P = 8, local on -Xmx18g and -Xmx20g. n = 58,126,587: 16 x 8 x n = 7,440,203,136;
    // margins 6 x 8 x 4,463 x 1,139 = 244,001,136, statistics 8 x (3 x 8 x 4,463 + 4,463) = 892,600;
    // data 12 x 195,052 + 8 x 4,463 = 2,376,328; JVM 67,108,864: 7,754,582,064 bytes (7.2 GB),
    // 8.3 GB with the margin: it also fits the -Xmx16g issue 12 names.
    MemoryPlan lshtc = MemoryPlan.softmax(new Shape(4_463, 51_033, 1_139, 195_052), 5, 8, 2,
        Runner.LOCAL);
    assertEquals(7_754_582_064L, lshtc.bytes());
    assertEquals("8.3 GB", MemoryPlan.gb(lshtc.requiredHeap()));
    assertTrue(lshtc.fits(16 * GIB));
    assertTrue(lshtc.withHistory(5).fits(18 * GIB));
    assertTrue(MemoryPlan.softmax(new Shape(4_463, 51_033, 1_139, 195_052), 5, 8, 2,
        Runner.EMBEDDED_FLINK).fits(16 * GIB));
    // synth-medium (20,000 x 50,000, 100 classes, 1,194,761 nonzeros), P = 16, -Xmx10g, every
    // runner the bench runs in one JVM; and the history study's m = 20 on a 4 GB heap.
    Shape medium = new Shape(20_000, 50_000, 100, 1_194_761);
    for (Runner runner : Runner.values()) {
      assertTrue(MemoryPlan.softmax(medium, 5, 16, 2, runner).fits(10 * GIB), runner.name());
      assertTrue(MemoryPlan.softmax(medium, 20, 16, 2, runner).fits(4 * GIB), runner.name());
    }
  }

  @Test
  void issueTwelvesShapesAreRefusedWithWhatWouldFit() {
    // 3 classes x 5e7 features, one example: 16 vectors of 1.5e8 doubles = 19.2e9 bytes; margins
    // 6 x 3 doubles, statistics 3 + 1; data 12 + 8; JVM 64 MB: 19,267,109,060 bytes.
    MemoryPlan plan = MemoryPlan.softmax(new Shape(1, 50_000_000, 3, 1), 5, 1, 2, Runner.LOCAL);
    assertEquals(16L * 8 * 150_000_000 + 6 * 8 * 3 + 8 * 4 + 20 + 64 * MB, plan.bytes());
    assertFalse(plan.fits(6 * GIB));
    assertEquals(0, plan.largestHistoryThatFits(6 * GIB)); // 6 working vectors alone are 7.2 GB
    long features = plan.largestFeaturesThatFit(6 * GIB);
    assertTrue(features > 0 && features < 50_000_000, Long.toString(features));
    assertTrue(plan.withFeatures(features).fits(6 * GIB));
    assertFalse(plan.withFeatures(features + 1).fits(6 * GIB));
    // 19,267,109,060 x 1.15 = 22,157,175,419 bytes = 20.64 GiB.
    assertEquals(21, MemoryPlan.wholeGb(plan.requiredHeap()));
    assertTrue(plan.describe().startsWith("about 20.6 GB per worker (6 working + 2x5 history"
        + " = 16 vectors of 3 x 50,000,000 doubles, 17.9 GB; margins, data, JVM 0.1 GB; + 15%)"),
        plan.describe());
    // A smaller history fits where the vectors leave room: 3 x 10^7 doubles are 240e6 bytes; with
    // 64 MB and 15%, m = 5 (16 vectors) needs 4.2 GiB, m = 4 (14) 3.7 GiB.
    MemoryPlan room = MemoryPlan.softmax(new Shape(1, 10_000_000, 3, 1), 5, 1, 2, Runner.LOCAL);
    assertFalse(room.fits(4 * GIB));
    assertEquals(4, room.largestHistoryThatFits(4 * GIB));
  }

  @Test
  void softmaxBlocksLongerThanAnArrayNeedMorePartitions() {
    // 2 classes x 2e9 features: one block of both is 4e9 doubles; one class per block fits.
    MemoryPlan two = MemoryPlan.softmax(new Shape(2, 2_000_000_000, 2, 2), 5, 1, 1, Runner.LOCAL);
    assertEquals(2, two.partitionsNeeded());
    assertEquals("with --partitions 1 a block holds 2 classes x 2,000,000,000 features ="
        + " 4,000,000,000 doubles, more than one Java array holds (2,147,483,639): use"
        + " --partitions 2 or more", two.arrayProblem());
    assertNull(MemoryPlan.softmax(new Shape(2, 2_000_000_000, 2, 2), 5, 2, 1, Runner.LOCAL)
        .arrayProblem());
    // A class row longer than an array: no partition count helps.
    MemoryPlan row = MemoryPlan.softmax(new Shape(1, Integer.MAX_VALUE, 4, 1), 5, 4, 1,
        Runner.LOCAL);
    assertEquals(-1, row.partitionsNeeded());
    assertTrue(row.arrayProblem().contains("no partition count helps"), row.arrayProblem());
    // Margins: 10^7 examples x 1000 classes; a block holds at most 214 classes' margins.
    MemoryPlan margins = MemoryPlan.softmax(new Shape(10_000_000, 10, 1000, 10_000_000), 5, 4, 1,
        Runner.LOCAL);
    assertEquals(5, margins.partitionsNeeded());
    assertTrue(margins.arrayProblem().contains("250 classes x 10,000,000 examples (margins)"),
        margins.arrayProblem());
    // Linear models: feature blocks of one entry a feature.
    assertEquals(2, MemoryPlan.linear(new Shape(1, Integer.MAX_VALUE, 2, 1), 5, 1, 1,
        Runner.LOCAL).partitionsNeeded());
    assertNull(MemoryPlan.linear(new Shape(1, Integer.MAX_VALUE, 2, 1), 5, 2, 1, Runner.LOCAL)
        .arrayProblem());
  }

  @Test
  void hugeShapesSaturateInsteadOfOverflowing() {
    MemoryPlan plan = MemoryPlan.softmax(new Shape(Integer.MAX_VALUE, Integer.MAX_VALUE,
        Integer.MAX_VALUE, Integer.MAX_VALUE), 100, 1, 1, Runner.EMBEDDED_BEAM);
    assertEquals(Long.MAX_VALUE, plan.bytes());
    assertFalse(plan.fits(Long.MAX_VALUE - 1));
  }

  private static List<Long> bytes(List<Term> terms) {
    return terms.stream().map(Term::bytes).toList();
  }
}

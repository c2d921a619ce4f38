package org.lbfgsbeam.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.beam.sdk.testing.CombineFnTester;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.values.KV;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.lbfgsbeam.core.partition.BlockKernels;

/**
 * {@link BlocksInNodeOrder}'s combiners under Beam's {@link CombineFnTester} (many shardings, shuffled
 * and incremental merges, empty accumulators): the output is the node-order result whatever the order
 * of arrival, bit for bit.
 */
class BlocksInNodeOrderTest {

  /** Partials whose sum depends on the order of addition: 1e16 + 1 rounds back to 1e16. */
  private static final double[][] ORDER_SENSITIVE = {
      {1e16, 1.0, 0.1},
      {1.0, 1.0, 0.2},
      {-1e16, 1e16, 0.3},
      {1.0, 1.0, 1e-17},
      {1.0, -1e16, -0.6},
      {1.0, 3.0, 1e16},
      {3.0, 1.0, -1e16}};

  static Stream<Arguments> inputs() {
    Random random = new Random(42);
    double[][] fortyRandom = new double[40][];
    for (int b = 0; b < fortyRandom.length; b++) {
      fortyRandom[b] = new double[] {
          random.nextGaussian() * Math.pow(10, random.nextInt(30) - 15),
          random.nextGaussian(), -random.nextDouble()};
    }
    return Stream.of(
        Arguments.of("one node", new int[] {0}, new double[][] {{1.5, -2.25, 1e-300}}),
        Arguments.of("one node, not node 0", new int[] {5}, new double[][] {{-0.0, 7.0}}),
        Arguments.of("7 nodes, order-sensitive", new int[] {0, 1, 2, 3, 4, 5, 6}, ORDER_SENSITIVE),
        Arguments.of("7 sparse node ids", new int[] {42, 3, 17, 0, 1000, 8, 9}, ORDER_SENSITIVE),
        Arguments.of("40 nodes, mixed magnitudes", ids(40), fortyRandom));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("inputs")
  void sumIsTheNodeOrderSumUnderEverySharding(String name, int[] nodes, double[][] partials) {
    double[] expected = BlockKernels.sumInBlockOrder(inNodeOrder(nodes, partials));
    double[][] before = deepCopy(partials);
    for (long seed = 0; seed < 4; seed++) {
      CombineFnTester.testCombineFn(BlocksInNodeOrder.sum(), shuffled(nodes, partials, seed),
          Bits.equalTo(expected));
    }
    assertTrue(Bits.same(before, partials), "the combiner modified its inputs");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("inputs")
  void collectGivesThePartialsInNodeOrderUnderEverySharding(String name, int[] nodes,
      double[][] partials) {
    double[][] expected = deepCopy(inNodeOrder(nodes, partials));
    for (long seed = 0; seed < 4; seed++) {
      CombineFnTester.testCombineFn(BlocksInNodeOrder.collect(), shuffled(nodes, partials, seed),
          Bits.equalTo(expected));
    }
  }

  @Test
  void orderSensitiveDataReallyIsOrderSensitive() {
    // Guards the test data: were the sum insensitive to order, the tests above could not fail.
    double[] nodeOrder = BlockKernels.sumInBlockOrder(ORDER_SENSITIVE);
    double[][] reversed = ORDER_SENSITIVE.clone();
    Collections.reverse(java.util.Arrays.asList(reversed));
    double[] reverseOrder = BlockKernels.sumInBlockOrder(reversed);
    for (int k = 0; k < nodeOrder.length; k++) {
      assertFalse(Double.doubleToRawLongBits(nodeOrder[k])
          == Double.doubleToRawLongBits(reverseOrder[k]),
          "entry " + k + ": " + nodeOrder[k] + " both ways");
    }
  }

  @Test
  void theSameCheckCatchesAnArrivalOrderSum() {
    // Guards the check itself: a combiner that adds in arrival order must fail it.
    double[] expected = BlockKernels.sumInBlockOrder(ORDER_SENSITIVE);
    assertThrows(AssertionError.class, () -> {
      for (long seed = 0; seed < 4; seed++) {
        CombineFnTester.testCombineFn(new ArrivalOrderSum(),
            shuffled(ids(ORDER_SENSITIVE.length), ORDER_SENSITIVE, seed), Bits.equalTo(expected));
      }
    });
  }

  @Test
  void emptyInputSumsToAnEmptyArrayAndCollectsNoRows() {
    CombineFnTester.testCombineFn(BlocksInNodeOrder.sum(), new ArrayList<>(),
        Bits.equalTo(new double[0]));
    CombineFnTester.testCombineFn(BlocksInNodeOrder.collect(), new ArrayList<>(),
        Bits.equalTo(new double[0][]));
  }

  @Test
  void collectKeepsNanPayloadsAndSignedZeros() {
    double nan = Double.longBitsToDouble(0x7ff0_0000_0000_0abcL);
    double[][] partials = {{nan, -0.0}, {Double.NEGATIVE_INFINITY}, {}};
    CombineFnTester.testCombineFn(BlocksInNodeOrder.collect(),
        shuffled(new int[] {0, 1, 2}, partials, 7), Bits.equalTo(deepCopy(partials)));
  }

  @Test
  void nodeAddedTwiceToOneAccumulatorThrows() {
    for (CombineFn<KV<Integer, double[]>, TreeMap<Integer, double[]>, ?> fn
        : List.of(BlocksInNodeOrder.sum(), BlocksInNodeOrder.collect())) {
      TreeMap<Integer, double[]> acc = fn.addInput(fn.createAccumulator(),
          KV.of(3, new double[] {1}));
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> fn.addInput(acc, KV.of(3, new double[] {2})));
      assertTrue(e.getMessage().contains("node 3"), e.getMessage());
    }
  }

  @Test
  void nodeInTwoMergedAccumulatorsThrows() {
    for (CombineFn<KV<Integer, double[]>, TreeMap<Integer, double[]>, ?> fn
        : List.of(BlocksInNodeOrder.sum(), BlocksInNodeOrder.collect())) {
      TreeMap<Integer, double[]> a = fn.addInput(fn.createAccumulator(), KV.of(0, new double[] {1}));
      a = fn.addInput(a, KV.of(4, new double[] {1}));
      TreeMap<Integer, double[]> b = fn.addInput(fn.createAccumulator(), KV.of(2, new double[] {1}));
      b = fn.addInput(b, KV.of(4, new double[] {2}));
      List<TreeMap<Integer, double[]>> both = List.of(a, b);
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> fn.mergeAccumulators(both));
      assertTrue(e.getMessage().contains("node 4"), e.getMessage());
    }
  }

  @Test
  void mergeModifiesOnlyTheFirstAccumulator() {
    CombineFn<KV<Integer, double[]>, TreeMap<Integer, double[]>, double[]> fn =
        BlocksInNodeOrder.sum();
    TreeMap<Integer, double[]> a = fn.addInput(fn.createAccumulator(), KV.of(1, new double[] {1}));
    TreeMap<Integer, double[]> b = fn.addInput(fn.createAccumulator(), KV.of(0, new double[] {2}));
    TreeMap<Integer, double[]> c = fn.addInput(fn.createAccumulator(), KV.of(2, new double[] {4}));
    TreeMap<Integer, double[]> merged = fn.mergeAccumulators(List.of(a, b, c));
    assertEquals(List.of(0, 1, 2), new ArrayList<>(merged.keySet()));
    assertEquals(List.of(0), new ArrayList<>(b.keySet()));
    assertEquals(List.of(2), new ArrayList<>(c.keySet()));
    Bits.assertSame(new double[] {7}, fn.extractOutput(merged), "sum");
  }

  /** What {@link BlocksInNodeOrder#sum()} must not be: a running sum in arrival order. */
  private static final class ArrivalOrderSum
      extends CombineFn<KV<Integer, double[]>, ArrivalOrderSum.Acc, double[]> {
    static final class Acc {
      double[] sum;
    }

    @Override
    public Acc createAccumulator() {
      return new Acc();
    }

    @Override
    public Acc addInput(Acc acc, KV<Integer, double[]> input) {
      add(acc, input.getValue());
      return acc;
    }

    @Override
    public Acc mergeAccumulators(Iterable<Acc> accumulators) {
      Acc merged = new Acc();
      for (Acc a : accumulators) {
        if (a.sum != null) {
          add(merged, a.sum);
        }
      }
      return merged;
    }

    @Override
    public double[] extractOutput(Acc acc) {
      return acc.sum == null ? new double[0] : acc.sum.clone();
    }

    private static void add(Acc acc, double[] v) {
      if (acc.sum == null) {
        acc.sum = new double[v.length];
      }
      for (int k = 0; k < v.length; k++) {
        acc.sum[k] += v[k];
      }
    }
  }

  private static int[] ids(int n) {
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) {
      ids[i] = i;
    }
    return ids;
  }

  /** The partials sorted by node id. */
  private static double[][] inNodeOrder(int[] nodes, double[][] partials) {
    TreeMap<Integer, double[]> sorted = new TreeMap<>();
    for (int i = 0; i < nodes.length; i++) {
      sorted.put(nodes[i], partials[i]);
    }
    return sorted.values().toArray(new double[0][]);
  }

  private static List<KV<Integer, double[]>> shuffled(int[] nodes, double[][] partials, long seed) {
    List<KV<Integer, double[]>> input = new ArrayList<>();
    for (int i = 0; i < nodes.length; i++) {
      input.add(KV.of(nodes[i], partials[i]));
    }
    Collections.shuffle(input, new Random(seed));
    return input;
  }

  private static double[][] deepCopy(double[][] m) {
    double[][] copy = new double[m.length][];
    for (int i = 0; i < m.length; i++) {
      copy[i] = m[i].clone();
    }
    return copy;
  }
}

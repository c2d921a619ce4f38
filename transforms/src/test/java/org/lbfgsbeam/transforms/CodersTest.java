package org.lbfgsbeam.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.util.CoderUtils;
import org.hamcrest.Matcher;
import org.hamcrest.TypeSafeMatcher;
import org.junit.jupiter.api.Test;

/**
 * The coders of {@link NamedBlocks} and of {@link BlocksInNodeOrder}'s accumulator and output: bitwise
 * round trips in every context, and deterministic encodings (the same content gives the same bytes,
 * however it was built).
 */
class CodersTest {
  private static final double NAN_WITH_PAYLOAD = Double.longBitsToDouble(0x7ff0_0000_0000_0123L);

  // ---- NamedBlocks.Coder

  @Test
  void namedBlocksRoundTripBitwise() throws Exception {
    List<NamedBlocks> values = List.of(
        NamedBlocks.empty(),
        NamedBlocks.empty().with("x", new double[] {1, -0.0, NAN_WITH_PAYLOAD}),
        NamedBlocks.empty().with("y:12", new double[0]).with("s:12", new double[] {2})
            .with("", new double[] {Double.NEGATIVE_INFINITY}).with("\u00e9\u4e2d", new double[20_000]));
    for (NamedBlocks value : values) {
      for (Coder.Context context : CoderProperties.ALL_CONTEXTS) {
        CoderProperties.coderDecodeEncodeInContext(NamedBlocks.Coder.of(), context, value,
            sameBlocks(value));
      }
      CoderProperties.structuralValueDecodeEncodeEqual(NamedBlocks.Coder.of(), value);
    }
  }

  @Test
  void namedBlocksEncodingIsDeterministic() throws Exception {
    NamedBlocks a = NamedBlocks.empty().with("x", new double[] {1, 2}).with("g", new double[] {3})
        .with("d", new double[] {-0.0});
    NamedBlocks b = NamedBlocks.empty().with("d", new double[] {-0.0}).with("x", new double[] {1, 2})
        .with("g", new double[] {3}).with("extra", new double[] {9}).without("extra");
    NamedBlocks.Coder.of().verifyDeterministic();
    assertArrayEquals(CoderUtils.encodeToByteArray(NamedBlocks.Coder.of(), a),
        CoderUtils.encodeToByteArray(NamedBlocks.Coder.of(), b));
    assertEquals(NamedBlocks.Coder.of().structuralValue(a), NamedBlocks.Coder.of().structuralValue(b));
    CoderProperties.coderSerializable(NamedBlocks.Coder.of());
  }

  @Test
  void namedBlocksAreImmutable() {
    double[] x = {1, 2};
    NamedBlocks base = NamedBlocks.empty().with("x", x);
    NamedBlocks more = base.with("g", new double[] {3}).with("x", new double[] {5});
    NamedBlocks less = more.without("g");
    assertEquals(List.of("x"), List.copyOf(base.asMap().keySet()));
    assertTrue(Bits.same(new double[] {1, 2}, base.get("x")));
    assertEquals(List.of("g", "x"), List.copyOf(more.asMap().keySet()));
    assertEquals(List.of("x"), List.copyOf(less.asMap().keySet()));
    assertNull(less.getOrNull("g"));
    assertThrows(UnsupportedOperationException.class, () -> base.asMap().put("y", new double[0]));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> more.get("d"));
    assertTrue(e.getMessage().contains("'d'") && e.getMessage().contains("[g, x]"), e.getMessage());
  }

  // ---- BlocksInNodeOrder.PartialsCoder (the accumulator)

  @Test
  void accumulatorCoderRoundTripsBitwiseAndIsWhatTheCombinersDeclare() throws Exception {
    TreeMap<Integer, double[]> acc = new TreeMap<>();
    acc.put(7, new double[] {NAN_WITH_PAYLOAD, -0.0});
    acc.put(0, new double[0]);
    acc.put(300, new double[] {Double.MAX_VALUE});
    acc.put(Integer.MAX_VALUE, new double[] {1});
    for (TreeMap<Integer, double[]> value : List.of(new TreeMap<Integer, double[]>(), acc)) {
      for (Coder.Context context : CoderProperties.ALL_CONTEXTS) {
        CoderProperties.coderDecodeEncodeInContext(BlocksInNodeOrder.PartialsCoder.INSTANCE,
            context, value, samePartials(value));
      }
    }
    KvCoder<Integer, double[]> input = KvCoder.of(VarIntCoder.of(), DoubleArrayCoder.of());
    CoderRegistry registry = CoderRegistry.createDefault();
    assertEquals(BlocksInNodeOrder.PartialsCoder.INSTANCE,
        BlocksInNodeOrder.sum().getAccumulatorCoder(registry, input));
    assertEquals(BlocksInNodeOrder.PartialsCoder.INSTANCE,
        BlocksInNodeOrder.collect().getAccumulatorCoder(registry, input));
    assertEquals(DoubleArrayCoder.of(), BlocksInNodeOrder.sum().getDefaultOutputCoder(registry, input));
    assertEquals(BlocksInNodeOrder.MatrixCoder.of(),
        BlocksInNodeOrder.collect().getDefaultOutputCoder(registry, input));
  }

  @Test
  void accumulatorEncodingIsDeterministic() throws Exception {
    double[] p0 = {1.5};
    double[] p1 = {2.5, 3};
    double[] p2 = {-0.0};
    TreeMap<Integer, double[]> a = new TreeMap<>();
    a.put(2, p2);
    a.put(0, p0);
    a.put(1, p1);
    TreeMap<Integer, double[]> b = new TreeMap<>();
    b.put(1, p1);
    b.put(2, p2);
    b.put(0, p0);
    CoderProperties.coderDeterministic(BlocksInNodeOrder.PartialsCoder.INSTANCE, a, b);
    TreeMap<Integer, double[]> c = new TreeMap<>();
    c.put(0, p0.clone());
    c.put(1, p1.clone());
    c.put(2, p2.clone());
    assertArrayEquals(CoderUtils.encodeToByteArray(BlocksInNodeOrder.PartialsCoder.INSTANCE, a),
        CoderUtils.encodeToByteArray(BlocksInNodeOrder.PartialsCoder.INSTANCE, c));
  }

  // ---- BlocksInNodeOrder.MatrixCoder (collect's output)

  @Test
  void matrixCoderRoundTripsBitwiseIncludingRaggedAndEmptyRows() throws Exception {
    List<double[][]> values = List.of(
        new double[0][],
        new double[][] {{}},
        new double[][] {{1, 2, 3}, {}, {NAN_WITH_PAYLOAD}, {-0.0, Double.POSITIVE_INFINITY}},
        new double[][] {new double[10_000], {4}});
    for (double[][] value : values) {
      for (Coder.Context context : CoderProperties.ALL_CONTEXTS) {
        CoderProperties.coderDecodeEncodeInContext(BlocksInNodeOrder.MatrixCoder.of(), context,
            value, Bits.equalTo(value));
      }
      CoderProperties.coderDeterministic(BlocksInNodeOrder.MatrixCoder.of(), value, deepCopy(value));
      CoderProperties.structuralValueDecodeEncodeEqual(BlocksInNodeOrder.MatrixCoder.of(), value);
    }
    CoderProperties.coderSerializable(BlocksInNodeOrder.MatrixCoder.of());
  }

  private static double[][] deepCopy(double[][] m) {
    double[][] copy = new double[m.length][];
    for (int i = 0; i < m.length; i++) {
      copy[i] = m[i].clone();
    }
    return copy;
  }

  private static Matcher<NamedBlocks> sameBlocks(NamedBlocks expected) {
    Map<String, double[]> copy = new TreeMap<>();
    expected.asMap().forEach((k, v) -> copy.put(k, v.clone()));
    return new TypeSafeMatcher<>() {
      @Override
      protected boolean matchesSafely(NamedBlocks actual) {
        return Bits.same(copy, actual.asMap());
      }

      @Override
      public void describeTo(org.hamcrest.Description description) {
        description.appendText("blocks bitwise equal to " + copy.keySet());
      }
    };
  }

  private static Matcher<TreeMap<Integer, double[]>> samePartials(TreeMap<Integer, double[]> expected) {
    Map<Integer, double[]> copy = new TreeMap<>();
    expected.forEach((k, v) -> copy.put(k, v.clone()));
    return new TypeSafeMatcher<>() {
      @Override
      protected boolean matchesSafely(TreeMap<Integer, double[]> actual) {
        return Bits.same(copy, actual);
      }

      @Override
      public void describeTo(org.hamcrest.Description description) {
        description.appendText("partials bitwise equal, nodes " + copy.keySet());
      }
    };
  }
}

package org.lbfgsbeam.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link JoinVectors}: every node gets one block of each vector, and anything else fails. */
@ExtendWith(TestPipelineExtension.class)
class JoinVectorsTest {
  private static final double[][] X = {{1, 2}, {-0.0}, {Double.longBitsToDouble(0x7ff0_0000_0000_0042L)}};
  private static final double[][] G = {{3, 4}, {5}, {6}};
  private static final double[][] D = {{7, 8}, {9}, {10}};

  @Test
  void joinsBlocksByNode(TestPipeline pipeline) {
    Map<String, PCollection<KV<Integer, double[]>>> xg = new LinkedHashMap<>();
    xg.put("x", DotProductTest.vector(pipeline, "x", X));
    xg.put("g", DotProductTest.vector(pipeline, "g", G));
    PCollection<KV<Integer, NamedBlocks>> joined = pipeline.apply("Join x g", JoinVectors.of(xg));
    PAssert.that(joined).satisfies(new HasBlocks(List.of("g", "x"), new double[][][] {G, X}));

    Map<String, PCollection<KV<Integer, double[]>>> d = new LinkedHashMap<>();
    d.put("d", DotProductTest.vector(pipeline, "d", D));
    PCollection<KV<Integer, NamedBlocks>> extended = pipeline.apply("Join d into x g",
        JoinVectors.into(joined, d));
    PAssert.that(extended).satisfies(
        new HasBlocks(List.of("d", "g", "x"), new double[][][] {D, G, X}));
    pipeline.run();
  }

  @Test
  void nodeMissingFromOneVectorFailsThePipeline(TestPipeline pipeline) {
    Map<String, PCollection<KV<Integer, double[]>>> vectors = new LinkedHashMap<>();
    vectors.put("x", DotProductTest.vector(pipeline, "x", X));
    vectors.put("g", DotProductTest.vector(pipeline, "g", new double[][] {G[0], G[1]}));
    pipeline.apply("Join", JoinVectors.of(vectors));
    assertRunFailsWith(pipeline, "Tag<g>", "empty result");
  }

  @Test
  void nodeWithTwoBlocksOfOneVectorFailsThePipeline(TestPipeline pipeline) {
    Map<String, PCollection<KV<Integer, double[]>>> vectors = new LinkedHashMap<>();
    vectors.put("x", DotProductTest.vector(pipeline, "x", X));
    vectors.put("g", pipeline.apply("Create g twice", Create.of(KV.of(0, G[0]), KV.of(1, G[1]),
        KV.of(2, G[2]), KV.of(1, G[0])).withCoder(KvCoder.of(VarIntCoder.of(),
            DoubleArrayCoder.of()))));
    pipeline.apply("Join", JoinVectors.of(vectors));
    assertRunFailsWith(pipeline, "Tag<g>", "non-singleton result");
  }

  @Test
  void nothingToJoinIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> JoinVectors.of(Map.of()));
  }

  /**
   * Runs the pipeline and expects it to fail with an IllegalArgumentException (CoGbkResult.getOnly's)
   * whose message holds every one of {@code fragments}.
   */
  static void assertRunFailsWith(TestPipeline pipeline, String... fragments) {
    Pipeline.PipelineExecutionException e =
        assertThrows(Pipeline.PipelineExecutionException.class, pipeline::run);
    Throwable cause = e;
    while (cause.getCause() != null) {
      cause = cause.getCause();
    }
    assertEquals(IllegalArgumentException.class, cause.getClass(), String.valueOf(cause));
    for (String fragment : fragments) {
      assertTrue(cause.getMessage().contains(fragment), cause.getMessage());
    }
  }

  /**
   * Checks that node i holds exactly {@code names}, block names[k] bitwise equal to blocks[k][i]. The
   * expected blocks are kept as raw bits: this function reaches the pipeline by Java serialization,
   * which writes doubles with {@code doubleToLongBits} and so would canonicalise NaN payloads.
   */
  private static final class HasBlocks
      implements SerializableFunction<Iterable<KV<Integer, NamedBlocks>>, Void> {
    private final List<String> names;
    private final long[][][] bits;

    HasBlocks(List<String> names, double[][][] blocks) {
      this.names = names;
      this.bits = new long[blocks.length][][];
      for (int k = 0; k < blocks.length; k++) {
        bits[k] = new long[blocks[k].length][];
        for (int node = 0; node < blocks[k].length; node++) {
          bits[k][node] = Bits.raw(blocks[k][node]);
        }
      }
    }

    @Override
    public Void apply(Iterable<KV<Integer, NamedBlocks>> joined) {
      int count = 0;
      boolean[] seen = new boolean[bits[0].length];
      for (KV<Integer, NamedBlocks> e : joined) {
        int node = e.getKey();
        assertTrue(!seen[node], "node " + node + " twice");
        seen[node] = true;
        count++;
        assertEquals(names, List.copyOf(e.getValue().asMap().keySet()), "node " + node);
        for (int k = 0; k < names.size(); k++) {
          Bits.assertSame(Bits.fromRaw(bits[k][node]), e.getValue().get(names.get(k)),
              names.get(k) + " of node " + node);
        }
      }
      assertEquals(bits[0].length, count, "nodes");
      return null;
    }
  }
}

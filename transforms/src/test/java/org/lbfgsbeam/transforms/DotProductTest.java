package org.lbfgsbeam.transforms;

import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lbfgsbeam.core.partition.BlockKernels;

/**
 * {@link DotProduct} on the DirectRunner (immutability and encodability checks on): the broadcast
 * value is [a&middot;b] with the partial dots summed in node order, bit for bit.
 */
@ExtendWith(TestPipelineExtension.class)
class DotProductTest {
  /** Leading entries of a's blocks: their sum depends on the order of addition. */
  private static final double[] LEADING = {1e16, 1.0, -1e16, 1.0, 1.0, 3.0, 1.0};

  @ParameterizedTest(name = "P = {0}")
  @ValueSource(ints = {1, 3, 7})
  void broadcastsTheNodeOrderSumOfPartialDots(int blocks, TestPipeline pipeline) {
    double[][] a = new double[blocks][];
    double[][] b = new double[blocks][];
    Random random = new Random(blocks);
    for (int node = 0; node < blocks; node++) {
      int n = 1 + 2 * node; // blocks of different lengths
      a[node] = new double[n];
      b[node] = new double[n];
      a[node][0] = LEADING[node];
      b[node][0] = 1.0;
      for (int j = 1; j < n; j++) {
        a[node][j] = random.nextGaussian();
        b[node][j] = random.nextGaussian() * 1e-3;
      }
    }
    double[][] partials = new double[blocks][];
    for (int node = 0; node < blocks; node++) {
      partials[node] = new double[] {BlockKernels.dot(a[node], b[node])};
    }
    double expected = BlockKernels.sumInBlockOrder(partials)[0];
    if (blocks == 7) { // the data must be able to tell node order from another order
      double reversed = 0;
      for (int node = blocks - 1; node >= 0; node--) {
        reversed += partials[node][0];
      }
      assertNotEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(reversed));
    }

    PCollectionView<double[]> dot = pipeline.apply("a.b",
        DotProduct.of(vector(pipeline, "a", a), vector(pipeline, "b", b)));
    PCollection<KV<Integer, Long>> seen = pipeline
        .apply("Trigger", Create.of(0).withCoder(VarIntCoder.of()))
        .apply("Read view", ParDo.of(new ReadViewFn(dot)).withSideInputs(dot))
        .setCoder(KvCoder.of(VarIntCoder.of(), VarLongCoder.of()));
    PAssert.that(seen).containsInAnyOrder(KV.of(0, Double.doubleToRawLongBits(expected)));
    pipeline.run();
  }

  @Test
  void missingBlockFailsThePipeline(TestPipeline pipeline) {
    double[][] a = {{1, 2}, {3}};
    double[][] b = {{4, 5}};
    pipeline.apply("a.b", DotProduct.of(vector(pipeline, "a", a), vector(pipeline, "b", b)));
    JoinVectorsTest.assertRunFailsWith(pipeline, "Tag<b>", "empty result");
  }

  /** {@code blocks} as a distributed vector, created in shuffled node order. */
  static PCollection<KV<Integer, double[]>> vector(TestPipeline pipeline, String name,
      double[][] blocks) {
    List<KV<Integer, double[]>> elements = new ArrayList<>();
    for (int node = 0; node < blocks.length; node++) {
      elements.add(KV.of(node, blocks[node]));
    }
    Collections.shuffle(elements, new Random(name.hashCode()));
    return pipeline.apply("Create " + name,
        Create.of(elements).withCoder(KvCoder.of(VarIntCoder.of(), DoubleArrayCoder.of())));
  }

  /** Emits each entry of the singleton view as (index, raw bits). */
  private static final class ReadViewFn extends DoFn<Integer, KV<Integer, Long>> {
    private final PCollectionView<double[]> view;

    ReadViewFn(PCollectionView<double[]> view) {
      this.view = view;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      double[] value = c.sideInput(view);
      for (int i = 0; i < value.length; i++) {
        c.output(KV.of(i, Double.doubleToRawLongBits(value[i])));
      }
    }
  }
}

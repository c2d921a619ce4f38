package org.lbfgsbeam.transforms;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.util.VarInt;
import org.apache.beam.sdk.values.KV;
import org.lbfgsbeam.core.partition.BlockKernels;

/**
 * Combiners over per-node partials {@code KV<node_id, double[]>} whose result does not depend on the
 * order in which partials arrive or accumulators merge: the accumulator keeps every partial by node_id
 * and the output is formed in node order only at the end. This is the paper's global SUM made
 * reproducible: floating-point addition is not associative, so summing in arrival order would give
 * different bits on different runs and runners.
 *
 * <p>Contract (as Beam's {@code CombineFn}): {@code addInput} and {@code mergeAccumulators} only modify
 * the first accumulator; a node_id seen twice is an error (each node contributes one partial). The
 * accumulator holds P partials, so its size is P times a partial's.
 */
public final class BlocksInNodeOrder {
  private BlocksInNodeOrder() {}

  /** Collects the partials as an array in node order (for a combine that needs them all). */
  public static CombineFn<KV<Integer, double[]>, TreeMap<Integer, double[]>, double[][]> collect() {
    return new Collect();
  }

  /** Sums the partials element-wise in node order, from 0. */
  public static CombineFn<KV<Integer, double[]>, TreeMap<Integer, double[]>, double[]> sum() {
    return new Sum();
  }

  private abstract static class Base<OutputT>
      extends CombineFn<KV<Integer, double[]>, TreeMap<Integer, double[]>, OutputT> {
    @Override
    public TreeMap<Integer, double[]> createAccumulator() {
      return new TreeMap<>();
    }

    @Override
    public TreeMap<Integer, double[]> addInput(TreeMap<Integer, double[]> acc,
        KV<Integer, double[]> input) {
      put(acc, input.getKey(), input.getValue());
      return acc;
    }

    @Override
    public TreeMap<Integer, double[]> mergeAccumulators(
        Iterable<TreeMap<Integer, double[]>> accumulators) {
      TreeMap<Integer, double[]> merged = null;
      for (TreeMap<Integer, double[]> acc : accumulators) {
        if (merged == null) {
          merged = acc;
        } else {
          for (Map.Entry<Integer, double[]> e : acc.entrySet()) {
            put(merged, e.getKey(), e.getValue());
          }
        }
      }
      return merged == null ? createAccumulator() : merged;
    }

    private static void put(TreeMap<Integer, double[]> acc, Integer node, double[] partial) {
      if (acc.putIfAbsent(node, partial) != null) {
        throw new IllegalStateException("node " + node + " contributed two partials");
      }
    }

    @Override
    public Coder<TreeMap<Integer, double[]>> getAccumulatorCoder(CoderRegistry registry,
        Coder<KV<Integer, double[]>> inputCoder) throws CannotProvideCoderException {
      return PartialsCoder.INSTANCE;
    }
  }

  private static final class Collect extends Base<double[][]> {
    @Override
    public double[][] extractOutput(TreeMap<Integer, double[]> acc) {
      return acc.values().toArray(new double[0][]);
    }

    @Override
    public Coder<double[][]> getDefaultOutputCoder(CoderRegistry registry,
        Coder<KV<Integer, double[]>> inputCoder) {
      return MatrixCoder.INSTANCE;
    }
  }

  private static final class Sum extends Base<double[]> {
    @Override
    public double[] extractOutput(TreeMap<Integer, double[]> acc) {
      if (acc.isEmpty()) {
        return new double[0];
      }
      return BlockKernels.sumInBlockOrder(acc.values().toArray(new double[0][]));
    }

    @Override
    public Coder<double[]> getDefaultOutputCoder(CoderRegistry registry,
        Coder<KV<Integer, double[]>> inputCoder) {
      return DoubleArrayCoder.of();
    }
  }

  /** Coder of the accumulator: the count, then (node, partial) in node order. */
  static final class PartialsCoder extends AtomicCoder<TreeMap<Integer, double[]>> {
    static final PartialsCoder INSTANCE = new PartialsCoder();

    @Override
    public void encode(TreeMap<Integer, double[]> value, OutputStream out) throws IOException {
      VarInt.encode(value.size(), out);
      for (Map.Entry<Integer, double[]> e : value.entrySet()) {
        VarInt.encode(e.getKey(), out);
        DoubleArrayCoder.of().encode(e.getValue(), out);
      }
    }

    @Override
    public TreeMap<Integer, double[]> decode(InputStream in) throws IOException {
      int n = VarInt.decodeInt(in);
      TreeMap<Integer, double[]> map = new TreeMap<>();
      for (int i = 0; i < n; i++) {
        int node = VarInt.decodeInt(in);
        map.put(node, DoubleArrayCoder.of().decode(in));
      }
      return map;
    }

    @Override
    public void verifyDeterministic() {}
  }

  /** Coder of a double[][]: the count, then each row. */
  public static final class MatrixCoder extends AtomicCoder<double[][]> {
    static final MatrixCoder INSTANCE = new MatrixCoder();

    public static MatrixCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(double[][] value, OutputStream out) throws IOException {
      VarInt.encode(value.length, out);
      for (double[] row : value) {
        DoubleArrayCoder.of().encode(row, out);
      }
    }

    @Override
    public double[][] decode(InputStream in) throws IOException {
      int n = VarInt.decodeInt(in);
      double[][] value = new double[n][];
      for (int i = 0; i < n; i++) {
        value[i] = DoubleArrayCoder.of().decode(in);
      }
      return value;
    }

    @Override
    public void verifyDeterministic() {}
  }
}

package org.lbfgsbeam.core.stochastic;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;

/**
 * How a parameter vector is cut into the blocks a block-wise optimiser keeps its state for (mL-BFGS's
 * block-wise Hessian, the nodes' share of the history): contiguous ranges [offset<sub>b</sub>,
 * offset<sub>b+1</sub>), in order. For a network, a block is a layer (its weights and then its
 * biases, which the parameter layout keeps together), a layer larger than a cap being cut into
 * slices of at most that many entries.
 */
public final class BlockLayout implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int[] offsets;

  private BlockLayout(int[] offsets) {
    this.offsets = offsets;
  }

  /** Blocks starting at {@code offsets} (increasing, from 0) and ending at {@code size}. */
  public static BlockLayout of(int size, int... offsets) {
    Checks.checkArgument(offsets.length >= 1 && offsets[0] == 0,
        "offsets must start at 0, but were: %s", Arrays.toString(offsets));
    int[] all = Arrays.copyOf(offsets, offsets.length + 1);
    all[offsets.length] = size;
    for (int b = 0; b + 1 < all.length; b++) {
      Checks.checkArgument(all[b] < all[b + 1],
          "blocks must be non-empty and in order, but offsets were %s for size %s",
          Arrays.toString(offsets), size);
    }
    return new BlockLayout(all);
  }

  /** One block of the whole vector. */
  public static BlockLayout whole(int size) {
    return of(size, 0);
  }

  /**
   * A network's layers as blocks, each layer of more than {@code maxBlockSize} parameters cut into
   * equal slices (sizes differ by at most one) of at most that many.
   */
  public static BlockLayout layers(MultilayerPerceptron net, int maxBlockSize) {
    Checks.checkArgument(maxBlockSize >= 1, "maxBlockSize must be positive, but was: %s",
        maxBlockSize);
    List<Integer> starts = new ArrayList<>();
    for (int l = 0; l < net.layers(); l++) {
      int from = net.weightOffset(l);
      int to = net.biasOffset(l) + net.outputs(l);
      int size = to - from;
      int slices = (int) ((size + (long) maxBlockSize - 1) / maxBlockSize); // no overflow
      for (int s = 0; s < slices; s++) {
        starts.add(from + (int) ((long) s * size / slices));
      }
    }
    return of(net.parameterCount(), starts.stream().mapToInt(Integer::intValue).toArray());
  }

  /** The number of blocks. */
  public int blocks() {
    return offsets.length - 1;
  }

  /** The first entry of block b. */
  public int from(int block) {
    return offsets[block];
  }

  /** The end (exclusive) of block b. */
  public int to(int block) {
    return offsets[block + 1];
  }

  /** The size of block b. */
  public int size(int block) {
    return offsets[block + 1] - offsets[block];
  }

  /** n. */
  public int totalSize() {
    return offsets[offsets.length - 1];
  }

  /** The largest block's size. */
  public int maxBlockSize() {
    int max = 0;
    for (int b = 0; b < blocks(); b++) {
      max = Math.max(max, size(b));
    }
    return max;
  }

  /** Block b of {@code vector}, copied. */
  public double[] slice(double[] vector, int block) {
    return Arrays.copyOfRange(vector, from(block), to(block));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BlockLayout other && Arrays.equals(offsets, other.offsets);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(offsets);
  }

  @Override
  public String toString() {
    return "BlockLayout" + Arrays.toString(offsets);
  }
}

package org.lbfgsbeam.core.partition;

import java.io.Serializable;
import java.util.Arrays;
import org.lbfgsbeam.core.Checks;

/**
 * How a parameter vector of n entries is split into P blocks keyed by node_id 0..P&minus;1, as
 * Najafabadi et al. (J Big Data 2017) partition the parameter vector and the L-BFGS history. The
 * vector is cut into {@code units} of {@code unitSize} entries (a class row of W for softmax
 * regression, one feature for a linear model), and block b holds units
 * [&lfloor;bU/P&rfloor;, &lfloor;(b+1)U/P&rfloor;): sizes differ by at most one unit and no block is empty.
 *
 * <p>Each block holds (2m+2) vectors of its length (x, g, m pairs (s, y)), so a worker holding one block
 * needs (2m+2)&middot;n&middot;8/P bytes for the optimiser state, plus the trial gradients and the
 * direction (three more vectors) that this implementation keeps; {@link MemoryPlan} counts what each
 * runner holds.
 */
public final class Partitioning implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The longest block, the longest array a JVM surely allocates: {@code Integer.MAX_VALUE - 8}. */
  public static final int MAX_BLOCK_SIZE = Integer.MAX_VALUE - 8;

  private final int units;
  private final int unitSize;
  private final int[] unitOffsets;

  private Partitioning(int units, int unitSize, int[] unitOffsets) {
    this.units = units;
    this.unitSize = unitSize;
    this.unitOffsets = unitOffsets;
  }

  /** {@code units} units of {@code unitSize} entries in {@code blocks} blocks. */
  public static Partitioning of(int units, int unitSize, int blocks) {
    Checks.checkArgument(units >= 1, "units must be positive, but was: %s", units);
    Checks.checkArgument(unitSize >= 1, "unit size must be positive, but was: %s", unitSize);
    Checks.checkArgument(blocks >= 1 && blocks <= units,
        "partitions must be in [1, %s] (one unit at least per block), but was: %s", units, blocks);
    Checks.checkArgument((long) units * unitSize <= Integer.MAX_VALUE * 64L,
        "vector too large: %s x %s", units, unitSize);
    int[] offsets = new int[blocks + 1];
    for (int b = 0; b <= blocks; b++) {
      offsets[b] = (int) ((long) b * units / blocks);
    }
    return new Partitioning(units, unitSize, offsets);
  }

  /** P. */
  public int blocks() {
    return unitOffsets.length - 1;
  }

  /** The number of units (classes or features). */
  public int units() {
    return units;
  }

  /** Entries per unit. */
  public int unitSize() {
    return unitSize;
  }

  /** n, the total number of entries. */
  public long size() {
    return (long) units * unitSize;
  }

  /** The first unit of block b. */
  public int firstUnit(int block) {
    return unitOffsets[block];
  }

  /** The number of units in block b. */
  public int unitCount(int block) {
    return unitOffsets[block + 1] - unitOffsets[block];
  }

  /** The number of entries in block b. */
  public int blockSize(int block) {
    long n = (long) unitCount(block) * unitSize;
    Checks.checkState(n <= MAX_BLOCK_SIZE,
        "block %s has %s entries, more than one Java array holds: use more partitions", block, n);
    return (int) n;
  }

  /** The largest block's size. */
  public int maxBlockSize() {
    int max = 0;
    for (int b = 0; b < blocks(); b++) {
      max = Math.max(max, blockSize(b));
    }
    return max;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Partitioning p && p.units == units && p.unitSize == unitSize
        && Arrays.equals(p.unitOffsets, unitOffsets);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(unitOffsets) * 31 + units * 7 + unitSize;
  }

  @Override
  public String toString() {
    return "Partitioning{" + units + " units x " + unitSize + " in " + blocks() + " blocks}";
  }
}

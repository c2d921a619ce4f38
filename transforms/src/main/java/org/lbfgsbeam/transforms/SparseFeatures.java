package org.lbfgsbeam.transforms;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.CoderProvider;
import org.apache.beam.sdk.coders.CoderProviders;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.util.VarInt;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.lbfgsbeam.core.Checks;

/**
 * An immutable sparse feature vector as a LIBSVM line holds it: 1-based feature indices, strictly
 * ascending, and their finite values (file index {@code j} is column {@code j-1} of the model's W).
 * Explicit zeros are kept as given.
 *
 * <p>The factories copy the arrays they are given and {@link #indices()} / {@link #values()} return
 * copies; loops that must not allocate read {@link #size()}, {@link #index(int)} and
 * {@link #value(int)}. Equality compares indices and the values' bits (so {@code 0.0 != -0.0}).
 * {@link SparseFeaturesCoder} is the default coder: deterministic, no Java serialization.
 */
@DefaultCoder(SparseFeatures.SparseFeaturesCoder.class)
public final class SparseFeatures {
  private static final SparseFeatures EMPTY = new SparseFeatures(new int[0], new double[0]);

  private final int[] indices;
  private final double[] values;

  private SparseFeatures(int[] indices, double[] values) {
    this.indices = indices;
    this.values = values;
  }

  /**
   * The vector with {@code values[p]} at 1-based feature {@code indices[p]}.
   *
   * @throws IllegalArgumentException naming the position and value if the lengths differ, an index
   *     is below 1 or not strictly ascending, or a value is not finite
   */
  public static SparseFeatures of(int[] indices, double[] values) {
    Checks.checkArgument(indices != null, "indices must not be null");
    Checks.checkArgument(values != null, "values must not be null");
    return owning(indices.clone(), values.clone());
  }

  /** The vector without nonzeros. */
  public static SparseFeatures empty() {
    return EMPTY;
  }

  /**
   * The nonzeros of a dense vector: {@code dense[j]} becomes feature {@code j+1} when it is not 0
   * (MNIST pixels, say).
   *
   * @throws IllegalArgumentException naming the position if an entry is not finite
   */
  public static SparseFeatures fromDense(double[] dense) {
    Checks.checkArgument(dense != null, "dense must not be null");
    int nnz = 0;
    for (double v : dense) {
      if (v != 0) {
        nnz++;
      }
    }
    int[] idx = new int[nnz];
    double[] val = new double[nnz];
    int p = 0;
    for (int j = 0; j < dense.length; j++) {
      Checks.checkArgument(Double.isFinite(dense[j]),
          "dense[%s] must be finite, but was: %s", j, dense[j]);
      if (dense[j] != 0) {
        idx[p] = j + 1;
        val[p] = dense[j];
        p++;
      }
    }
    return new SparseFeatures(idx, val);
  }

  /** Validates and takes ownership of the arrays (no copy). */
  static SparseFeatures owning(int[] indices, double[] values) {
    Checks.checkArgument(indices.length == values.length,
        "indices and values must have the same length, but had: %s and %s", indices.length,
        values.length);
    int previous = 0;
    for (int p = 0; p < indices.length; p++) {
      Checks.checkArgument(indices[p] >= 1,
          "feature indices are 1-based: indices[%s] must be >= 1, but was: %s", p, indices[p]);
      Checks.checkArgument(indices[p] > previous,
          "feature indices must be strictly ascending, but indices[%s] = %s follows %s", p,
          indices[p], previous);
      Checks.checkArgument(Double.isFinite(values[p]),
          "values[%s] (feature %s) must be finite, but was: %s", p, indices[p], values[p]);
      previous = indices[p];
    }
    return indices.length == 0 ? EMPTY : new SparseFeatures(indices, values);
  }

  /** The number of stored entries. */
  public int size() {
    return indices.length;
  }

  /** The 1-based feature index of entry {@code p}. */
  public int index(int p) {
    return indices[p];
  }

  /** The value of entry {@code p}. */
  public double value(int p) {
    return values[p];
  }

  /** The largest feature index, or 0 when there is none. */
  public int maxIndex() {
    return indices.length == 0 ? 0 : indices[indices.length - 1];
  }

  /** A copy of the 1-based feature indices. */
  public int[] indices() {
    return indices.clone();
  }

  /** A copy of the values. */
  public double[] values() {
    return values.clone();
  }

  /** This vector without the features above {@code maxIndex}. */
  public SparseFeatures truncatedTo(int maxIndex) {
    int n = 0;
    while (n < indices.length && indices[n] <= maxIndex) {
      n++;
    }
    return n == indices.length ? this
        : owning(Arrays.copyOf(indices, n), Arrays.copyOf(values, n));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SparseFeatures f && Arrays.equals(indices, f.indices)
        && Arrays.equals(values, f.values);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(indices) + Arrays.hashCode(values);
  }

  /** The entries as LIBSVM writes them, {@code "3:0.5 7:1.0"}, cut after 20 entries. */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder();
    for (int p = 0; p < indices.length && p < 20; p++) {
      s.append(p == 0 ? "" : " ").append(indices[p]).append(':').append(values[p]);
    }
    if (indices.length > 20) {
      s.append(" ... (").append(indices.length).append(" entries)");
    }
    return s.toString();
  }

  /**
   * A deterministic coder: the count as a varint, the indices as varint gaps (first index, then
   * differences, all positive), then each value's raw IEEE-754 bits, big-endian. Decoding validates
   * as {@link #of} does.
   */
  public static final class SparseFeaturesCoder extends AtomicCoder<SparseFeatures> {
    private static final SparseFeaturesCoder INSTANCE = new SparseFeaturesCoder();

    private SparseFeaturesCoder() {}

    public static SparseFeaturesCoder of() {
      return INSTANCE;
    }

    /** What {@code @DefaultCoder} looks up: this coder for {@link SparseFeatures}. */
    public static CoderProvider getCoderProvider() {
      return CoderProviders.forCoder(TypeDescriptor.of(SparseFeatures.class), INSTANCE);
    }

    @Override
    public void encode(SparseFeatures value, OutputStream out) throws IOException {
      if (value == null) {
        throw new CoderException("cannot encode a null SparseFeatures");
      }
      int n = value.indices.length;
      VarInt.encode(n, out);
      int previous = 0;
      for (int p = 0; p < n; p++) {
        VarInt.encode(value.indices[p] - previous, out);
        previous = value.indices[p];
      }
      DataOutputStream data = new DataOutputStream(out);
      for (int p = 0; p < n; p++) {
        data.writeLong(Double.doubleToRawLongBits(value.values[p]));
      }
      data.flush();
    }

    @Override
    public SparseFeatures decode(InputStream in) throws IOException {
      int n = VarInt.decodeInt(in);
      if (n < 0) {
        throw new CoderException("negative SparseFeatures size: " + n);
      }
      int[] idx = new int[n];
      int previous = 0;
      for (int p = 0; p < n; p++) {
        previous += VarInt.decodeInt(in);
        idx[p] = previous;
      }
      double[] val = new double[n];
      DataInputStream data = new DataInputStream(in);
      for (int p = 0; p < n; p++) {
        val[p] = Double.longBitsToDouble(data.readLong());
      }
      try {
        return owning(idx, val);
      } catch (IllegalArgumentException e) {
        throw new CoderException("corrupt SparseFeatures: " + e.getMessage(), e);
      }
    }

    @Override
    public void verifyDeterministic() {}

    @Override
    public boolean consistentWithEquals() {
      return true;
    }
  }
}

package org.lbfgsbeam.transforms;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.CoderProvider;
import org.apache.beam.sdk.coders.CoderProviders;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.util.VarInt;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.lbfgsbeam.core.Checks;

/**
 * One labelled training example as a LIBSVM line holds it: an integer label (any int: the classes
 * are the distinct labels, in ascending order, as {@code LibsvmReader} makes them) and its
 * {@link SparseFeatures} (1-based, strictly ascending indices; finite values). Immutable; equality
 * is the label's and the features' (values compared bitwise). {@link LabeledExampleCoder} is the
 * default coder: deterministic, no Java serialization.
 */
@DefaultCoder(LabeledExample.LabeledExampleCoder.class)
public final class LabeledExample {
  private final int label;
  private final SparseFeatures features;

  private LabeledExample(int label, SparseFeatures features) {
    this.label = label;
    this.features = features;
  }

  /** The example labelled {@code label} with {@code features}. */
  public static LabeledExample of(int label, SparseFeatures features) {
    Checks.checkArgument(features != null, "features must not be null");
    return new LabeledExample(label, features);
  }

  /**
   * The example labelled {@code label} with {@code values[p]} at 1-based feature
   * {@code indices[p]}; the arrays are copied.
   *
   * @throws IllegalArgumentException as {@link SparseFeatures#of} does
   */
  public static LabeledExample of(int label, int[] indices, double[] values) {
    return new LabeledExample(label, SparseFeatures.of(indices, values));
  }

  public int label() {
    return label;
  }

  public SparseFeatures features() {
    return features;
  }

  /** A copy of the 1-based feature indices. */
  public int[] indices() {
    return features.indices();
  }

  /** A copy of the feature values. */
  public double[] values() {
    return features.values();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LabeledExample e && e.label == label && e.features.equals(features);
  }

  @Override
  public int hashCode() {
    return 31 * label + features.hashCode();
  }

  /** The example as a LIBSVM line would show it, {@code "3 1:0.5 7:1.0"} (long rows cut). */
  @Override
  public String toString() {
    return features.size() == 0 ? Integer.toString(label) : label + " " + features;
  }

  /**
   * A deterministic coder: the label as a zig-zag varint, then
   * {@link SparseFeatures.SparseFeaturesCoder}.
   */
  public static final class LabeledExampleCoder extends AtomicCoder<LabeledExample> {
    private static final LabeledExampleCoder INSTANCE = new LabeledExampleCoder();

    private LabeledExampleCoder() {}

    public static LabeledExampleCoder of() {
      return INSTANCE;
    }

    /** What {@code @DefaultCoder} looks up: this coder for {@link LabeledExample}. */
    public static CoderProvider getCoderProvider() {
      return CoderProviders.forCoder(TypeDescriptor.of(LabeledExample.class), INSTANCE);
    }

    @Override
    public void encode(LabeledExample value, OutputStream out) throws IOException {
      if (value == null) {
        throw new CoderException("cannot encode a null LabeledExample");
      }
      // Zig-zag, so that small negative labels (-1) stay one byte.
      VarInt.encode((value.label << 1) ^ (value.label >> 31), out);
      SparseFeatures.SparseFeaturesCoder.of().encode(value.features, out);
    }

    @Override
    public LabeledExample decode(InputStream in) throws IOException {
      int zigzag = VarInt.decodeInt(in);
      int label = (zigzag >>> 1) ^ -(zigzag & 1);
      return new LabeledExample(label, SparseFeatures.SparseFeaturesCoder.of().decode(in));
    }

    @Override
    public void verifyDeterministic() {}

    @Override
    public boolean consistentWithEquals() {
      return true;
    }
  }
}

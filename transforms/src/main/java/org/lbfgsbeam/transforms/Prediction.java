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
import org.apache.beam.sdk.values.TypeDescriptor;
import org.lbfgsbeam.core.Checks;

/**
 * The softmax model's answer for one example: the example's id (the key the caller gave it, see
 * {@link ScoreExamples}), and the k most probable classes as their original labels with their
 * probabilities p<sub>k</sub> = exp(z<sub>k</sub> &minus; log Z), most probable first; equal
 * margins rank by class index. {@link #label()} is the first of them. Immutable; equality compares
 * probabilities bitwise. {@link PredictionCoder} is the default coder: deterministic, no Java
 * serialization.
 */
@DefaultCoder(Prediction.PredictionCoder.class)
public final class Prediction {
  private final long id;
  private final int[] topLabels;
  private final double[] topProbabilities;

  private Prediction(long id, int[] topLabels, double[] topProbabilities) {
    this.id = id;
    this.topLabels = topLabels;
    this.topProbabilities = topProbabilities;
  }

  /**
   * A prediction for example {@code id}; the arrays are copied.
   *
   * @throws IllegalArgumentException if the arrays are empty or of different lengths, or a
   *     probability is not in [0, 1]
   */
  public static Prediction of(long id, int[] topLabels, double[] topProbabilities) {
    Checks.checkArgument(topLabels != null && topProbabilities != null,
        "labels and probabilities must not be null");
    return owning(id, topLabels.clone(), topProbabilities.clone());
  }

  static Prediction owning(long id, int[] topLabels, double[] topProbabilities) {
    Checks.checkArgument(topLabels.length >= 1,
        "a prediction needs at least one label, but had: %s", topLabels.length);
    Checks.checkArgument(topLabels.length == topProbabilities.length,
        "labels and probabilities must have the same length, but had: %s and %s",
        topLabels.length, topProbabilities.length);
    for (int i = 0; i < topProbabilities.length; i++) {
      Checks.checkArgument(topProbabilities[i] >= 0 && topProbabilities[i] <= 1,
          "probabilities must be in [0, 1], but probability %s of example %s was: %s", i, id,
          topProbabilities[i]);
    }
    return new Prediction(id, topLabels, topProbabilities);
  }

  /** The example's id. */
  public long id() {
    return id;
  }

  /** The predicted label: the most probable class's original label. */
  public int label() {
    return topLabels[0];
  }

  /** The predicted label's probability. */
  public double probability() {
    return topProbabilities[0];
  }

  /** k, the number of labels given. */
  public int size() {
    return topLabels.length;
  }

  /** A copy of the k most probable labels, most probable first. */
  public int[] topLabels() {
    return topLabels.clone();
  }

  /** A copy of their probabilities, in the same order (non-increasing). */
  public double[] topProbabilities() {
    return topProbabilities.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Prediction p && p.id == id && Arrays.equals(p.topLabels, topLabels)
        && Arrays.equals(p.topProbabilities, topProbabilities);
  }

  @Override
  public int hashCode() {
    return (Long.hashCode(id) * 31 + Arrays.hashCode(topLabels)) * 31
        + Arrays.hashCode(topProbabilities);
  }

  /** {@code "Prediction{id=7, 3 (p=0.81), 5 (p=0.12)}"}. */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("Prediction{id=").append(id);
    for (int i = 0; i < topLabels.length; i++) {
      s.append(", ").append(topLabels[i]).append(" (p=").append(topProbabilities[i]).append(')');
    }
    return s.append('}').toString();
  }

  /**
   * A deterministic coder: the id (8 bytes), k (4 bytes), the k labels (4 bytes each), then the k
   * probabilities' raw IEEE-754 bits (8 bytes each); all big-endian.
   */
  public static final class PredictionCoder extends AtomicCoder<Prediction> {
    private static final PredictionCoder INSTANCE = new PredictionCoder();

    private PredictionCoder() {}

    public static PredictionCoder of() {
      return INSTANCE;
    }

    /** What {@code @DefaultCoder} looks up: this coder for {@link Prediction}. */
    public static CoderProvider getCoderProvider() {
      return CoderProviders.forCoder(TypeDescriptor.of(Prediction.class), INSTANCE);
    }

    @Override
    public void encode(Prediction value, OutputStream out) throws IOException {
      if (value == null) {
        throw new CoderException("cannot encode a null Prediction");
      }
      DataOutputStream data = new DataOutputStream(out);
      data.writeLong(value.id);
      data.writeInt(value.topLabels.length);
      for (int l : value.topLabels) {
        data.writeInt(l);
      }
      for (double p : value.topProbabilities) {
        data.writeLong(Double.doubleToRawLongBits(p));
      }
      data.flush();
    }

    @Override
    public Prediction decode(InputStream in) throws IOException {
      DataInputStream data = new DataInputStream(in);
      long id = data.readLong();
      int k = data.readInt();
      if (k < 1) {
        throw new CoderException("corrupt Prediction: " + k + " labels");
      }
      int[] labels = new int[k];
      for (int i = 0; i < k; i++) {
        labels[i] = data.readInt();
      }
      double[] probabilities = new double[k];
      for (int i = 0; i < k; i++) {
        probabilities[i] = Double.longBitsToDouble(data.readLong());
      }
      try {
        return owning(id, labels, probabilities);
      } catch (IllegalArgumentException e) {
        throw new CoderException("corrupt Prediction: " + e.getMessage(), e);
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

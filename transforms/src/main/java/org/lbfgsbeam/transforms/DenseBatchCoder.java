package org.lbfgsbeam.transforms;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.lbfgsbeam.core.nn.DenseBatch;

/**
 * A deterministic Beam coder for {@link DenseBatch}: int32 rows, int32 features, int32 outputs (0 for
 * a classification batch), the rows&times;features values as float64, then the labels (int32 each)
 * or the rows&times;outputs targets (float64), all big-endian. Validated on decoding by the batch's
 * own factories.
 */
public final class DenseBatchCoder extends AtomicCoder<DenseBatch> {
  private static final DenseBatchCoder INSTANCE = new DenseBatchCoder();

  private DenseBatchCoder() {}

  public static DenseBatchCoder of() {
    return INSTANCE;
  }

  @Override
  public void encode(DenseBatch batch, OutputStream outStream) throws IOException {
    DataOutputStream out = new DataOutputStream(outStream);
    out.writeInt(batch.rows());
    out.writeInt(batch.features());
    out.writeInt(batch.hasLabels() ? 0 : batch.outputs());
    for (double v : batch.x()) {
      out.writeDouble(v);
    }
    if (batch.hasLabels()) {
      for (int label : batch.labels()) {
        out.writeInt(label);
      }
    } else {
      for (double v : batch.targets()) {
        out.writeDouble(v);
      }
    }
    out.flush();
  }

  @Override
  public DenseBatch decode(InputStream inStream) throws IOException {
    DataInputStream in = new DataInputStream(inStream);
    int rows = in.readInt();
    int features = in.readInt();
    int outputs = in.readInt();
    if (rows < 0 || features < 0 || outputs < 0 || (long) rows * features > Integer.MAX_VALUE) {
      throw new CoderException("bad DenseBatch shape " + rows + " x " + features + ", outputs "
          + outputs);
    }
    double[] x = new double[rows * features];
    for (int i = 0; i < x.length; i++) {
      x[i] = in.readDouble();
    }
    try {
      if (outputs == 0) {
        int[] labels = new int[rows];
        for (int i = 0; i < rows; i++) {
          labels[i] = in.readInt();
        }
        return DenseBatch.classification(features, x, labels);
      }
      double[] targets = new double[rows * outputs];
      for (int i = 0; i < targets.length; i++) {
        targets[i] = in.readDouble();
      }
      return DenseBatch.regression(features, x, outputs, targets);
    } catch (IllegalArgumentException e) {
      throw new CoderException("bad DenseBatch: " + e.getMessage());
    }
  }

  @Override
  public void verifyDeterministic() {}
}

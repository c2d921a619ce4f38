package org.lbfgsbeam.transforms;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.coders.AtomicCoder;

/**
 * The coder of the broadcast parameter vector &theta; of a data-parallel evaluation
 * ({@link EvaluateShards}): {@link DoubleArrayCoder}'s bytes, and a count of how many times this JVM
 * encoded one, so that a test can show that &theta; crosses once per evaluation and not once per batch
 * or shard.
 */
public final class ThetaCoder extends AtomicCoder<double[]> {
  private static final ThetaCoder INSTANCE = new ThetaCoder();
  private static final AtomicLong ENCODED = new AtomicLong();

  private ThetaCoder() {}

  public static ThetaCoder of() {
    return INSTANCE;
  }

  /** How many &theta; this JVM has encoded so far. */
  public static long encodedCount() {
    return ENCODED.get();
  }

  @Override
  public void encode(double[] value, OutputStream out) throws IOException {
    ENCODED.incrementAndGet();
    DoubleArrayCoder.of().encode(value, out);
  }

  @Override
  public double[] decode(InputStream in) throws IOException {
    return DoubleArrayCoder.of().decode(in);
  }

  @Override
  public void verifyDeterministic() {
    DoubleArrayCoder.of().verifyDeterministic();
  }
}

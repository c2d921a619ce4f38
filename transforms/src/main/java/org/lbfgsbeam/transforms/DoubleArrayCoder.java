package org.lbfgsbeam.transforms;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.util.VarInt;

/**
 * A deterministic coder for {@code double[]} blocks: the length as a varint, then the raw IEEE-754
 * bits, little-endian, 8 bytes each. No Java serialization, no class descriptors, and every bit
 * (NaN payloads, signed zeros) survives.
 */
public final class DoubleArrayCoder extends AtomicCoder<double[]> {
  private static final DoubleArrayCoder INSTANCE = new DoubleArrayCoder();
  private static final int CHUNK = 8192; // doubles per write

  private DoubleArrayCoder() {}

  public static DoubleArrayCoder of() {
    return INSTANCE;
  }

  @Override
  public void encode(double[] value, OutputStream out) throws IOException {
    if (value == null) {
      throw new CoderException("cannot encode a null double[]");
    }
    VarInt.encode(value.length, out);
    ByteBuffer buffer = ByteBuffer.allocate(Math.min(value.length, CHUNK) * 8)
        .order(ByteOrder.LITTLE_ENDIAN);
    for (int from = 0; from < value.length; from += CHUNK) {
      int n = Math.min(CHUNK, value.length - from);
      buffer.clear();
      buffer.asDoubleBuffer().put(value, from, n);
      out.write(buffer.array(), 0, n * 8);
    }
  }

  @Override
  public double[] decode(InputStream in) throws IOException {
    int length = VarInt.decodeInt(in);
    if (length < 0) {
      throw new CoderException("negative double[] length: " + length);
    }
    // Grow while reading, so a corrupt length fails as a short read, not as an OutOfMemoryError.
    double[] value = new double[Math.min(length, 1 << 20)];
    byte[] bytes = new byte[Math.min(length, CHUNK) * 8];
    DataInputStream data = new DataInputStream(in);
    for (int from = 0; from < length; from += CHUNK) {
      int n = Math.min(CHUNK, length - from);
      try {
        data.readFully(bytes, 0, n * 8);
      } catch (java.io.EOFException e) {
        throw new CoderException("truncated double[]: " + from + " of " + length + " entries");
      }
      if (from + n > value.length) {
        value = java.util.Arrays.copyOf(value, (int) Math.min(length, 2L * value.length));
      }
      ByteBuffer.wrap(bytes, 0, n * 8).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer()
          .get(value, from, n);
    }
    return value;
  }

  @Override
  public void verifyDeterministic() {}

  @Override
  public boolean consistentWithEquals() {
    return false;
  }

  @Override
  public Object structuralValue(double[] value) {
    // Raw bits, so that a changed sign of zero or NaN payload counts as a change.
    long[] bits = new long[value.length];
    for (int i = 0; i < value.length; i++) {
      bits[i] = Double.doubleToRawLongBits(value[i]);
    }
    return java.nio.LongBuffer.wrap(bits);
  }

  @Override
  protected long getEncodedElementByteSize(double[] value) throws Exception {
    return VarInt.getLength(value.length) + 8L * value.length;
  }

}

package org.lbfgsbeam.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.VarInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link DoubleArrayCoder} keeps every bit, is deterministic, and writes the documented format. */
class DoubleArrayCoderTest {
  private static final DoubleArrayCoder CODER = DoubleArrayCoder.of();
  private static final double QUIET_NAN_WITH_PAYLOAD = Double.longBitsToDouble(0x7ff8_0000_dead_beefL);
  private static final double NEGATIVE_NAN = Double.longBitsToDouble(0xfff8_0000_0000_0001L);

  static Stream<double[]> values() {
    return Stream.of(
        new double[0],
        new double[] {Math.PI},
        new double[] {-0.0, 0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
            Double.NaN, QUIET_NAN_WITH_PAYLOAD, NEGATIVE_NAN, Double.MIN_VALUE,
            -Double.MIN_NORMAL, Double.MAX_VALUE},
        random(8191, 1), random(8192, 2), random(8193, 3), // around the coder's chunk of 8192
        random(100_000, 4));
  }

  @ParameterizedTest
  @MethodSource("values")
  void decodeEncodeIsBitwiseIdentityInEveryContext(double[] value) throws Exception {
    double[] copy = value.clone();
    for (Coder.Context context : CoderProperties.ALL_CONTEXTS) {
      CoderProperties.coderDecodeEncodeInContext(CODER, context, value, Bits.equalTo(copy));
    }
    assertTrue(Bits.same(copy, value), "encoding modified its input");
  }

  @ParameterizedTest
  @MethodSource("values")
  void isDeterministicAndStructurallyConsistent(double[] value) throws Exception {
    CoderProperties.coderDeterministic(CODER, value, value.clone());
    CoderProperties.structuralValueDecodeEncodeEqual(CODER, value);
    assertEquals(CODER.structuralValue(value), CODER.structuralValue(value.clone()));
  }

  @Test
  void reportsItsEncodedSize() throws Exception {
    double[][] values = values().toArray(double[][]::new);
    for (Coder.Context context : CoderProperties.ALL_CONTEXTS) {
      CoderProperties.testByteCount(CODER, context, values);
    }
    for (double[] v : values) {
      assertEquals(CoderUtils.encodeToByteArray(CODER, v).length,
          CODER.getEncodedElementByteSize(v), "length " + v.length);
    }
  }

  @Test
  void writesAVarintLengthThenLittleEndianBits() throws Exception {
    byte[] bytes = CoderUtils.encodeToByteArray(CODER, new double[] {1.0, -2.0});
    assertArrayEquals(new byte[] {2,
        0, 0, 0, 0, 0, 0, (byte) 0xf0, 0x3f,
        0, 0, 0, 0, 0, 0, 0, (byte) 0xc0}, bytes);
  }

  @Test
  void structuralValueSeesAChangedEntry() {
    double[] a = {1, 2, 3};
    Object before = CODER.structuralValue(a);
    a[1] = 2.5;
    assertNotEquals(before, CODER.structuralValue(a));
  }

  @Test
  void structuralValueSeesSignOfZeroAndNanPayloads() {
    assertNotEquals(CODER.structuralValue(new double[] {0.0}),
        CODER.structuralValue(new double[] {-0.0}));
    assertNotEquals(CODER.structuralValue(new double[] {Double.NaN}),
        CODER.structuralValue(new double[] {QUIET_NAN_WITH_PAYLOAD}));
  }

  @Test
  void hugeDeclaredLengthIsACoderExceptionNotAnAllocation() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    VarInt.encode(Integer.MAX_VALUE - 9, out);
    out.write(new byte[16]);
    assertThrows(IOException.class, () -> CODER.decode(new ByteArrayInputStream(out.toByteArray())));
  }

  @Test
  void isSerializable() {
    CoderProperties.coderSerializable(CODER);
  }

  @Test
  void rejectsNull() {
    assertThrows(CoderException.class,
        () -> CODER.encode(null, new ByteArrayOutputStream()));
  }

  @Test
  void rejectsANegativeLength() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    VarInt.encode(-1, out);
    CoderException e = assertThrows(CoderException.class,
        () -> CODER.decode(new ByteArrayInputStream(out.toByteArray())));
    assertTrue(e.getMessage().contains("-1"), e.getMessage());
  }

  @Test
  void rejectsATruncatedStream() throws Exception {
    byte[] bytes = CoderUtils.encodeToByteArray(CODER, random(10, 5));
    byte[] truncated = java.util.Arrays.copyOf(bytes, bytes.length - 3);
    assertThrows(java.io.IOException.class, () -> CODER.decode(new ByteArrayInputStream(truncated)));
  }

  private static double[] random(int n, long seed) {
    Random random = new Random(seed);
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = Double.longBitsToDouble(random.nextLong()); // any bits, NaN payloads included
    }
    return v;
  }
}

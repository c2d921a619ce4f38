package org.lbfgsbeam.transforms;

import java.util.Arrays;
import java.util.Map;
import org.hamcrest.Description;
import org.hamcrest.Matcher;
import org.hamcrest.TypeSafeMatcher;

/**
 * Bitwise comparison of doubles for tests: two arrays are equal when every entry has the same
 * {@link Double#doubleToRawLongBits raw bits}, so NaN payloads and the sign of zero count (unlike
 * {@code assertArrayEquals}, {@code Double.equals} or hamcrest's {@code equalTo}, which all canonicalise
 * NaN).
 */
final class Bits {
  private Bits() {}

  /** Whether {@code a} and {@code b} have the same length and the same raw bits everywhere. */
  static boolean same(double[] a, double[] b) {
    if (a == null || b == null) {
      return a == b;
    }
    if (a.length != b.length) {
      return false;
    }
    for (int i = 0; i < a.length; i++) {
      if (Double.doubleToRawLongBits(a[i]) != Double.doubleToRawLongBits(b[i])) {
        return false;
      }
    }
    return true;
  }

  /** Row by row {@link #same(double[], double[])}. */
  static boolean same(double[][] a, double[][] b) {
    if (a == null || b == null) {
      return a == b;
    }
    if (a.length != b.length) {
      return false;
    }
    for (int i = 0; i < a.length; i++) {
      if (!same(a[i], b[i])) {
        return false;
      }
    }
    return true;
  }

  /** Same keys in the same order, and bitwise-equal blocks. */
  static boolean same(Map<?, double[]> a, Map<?, double[]> b) {
    if (!Arrays.equals(a.keySet().toArray(), b.keySet().toArray())) {
      return false;
    }
    for (Map.Entry<?, double[]> e : a.entrySet()) {
      if (!same(e.getValue(), b.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  /** The raw bits of each entry (survive Java serialization, which canonicalises NaN). */
  static long[] raw(double[] v) {
    long[] bits = new long[v.length];
    for (int i = 0; i < v.length; i++) {
      bits[i] = Double.doubleToRawLongBits(v[i]);
    }
    return bits;
  }

  /** The inverse of {@link #raw}. */
  static double[] fromRaw(long[] bits) {
    double[] v = new double[bits.length];
    for (int i = 0; i < bits.length; i++) {
      v[i] = Double.longBitsToDouble(bits[i]);
    }
    return v;
  }

  /** The raw bits of each entry, as hex: a readable failure message that shows payloads. */
  static String describe(double[] v) {
    if (v == null) {
      return "null";
    }
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < v.length && i < 20; i++) {
      s.append(i == 0 ? "" : ", ").append(v[i])
          .append("=0x").append(Long.toHexString(Double.doubleToRawLongBits(v[i])));
    }
    return s.append(v.length > 20 ? ", ... (" + v.length + " entries)]" : "]").toString();
  }

  static void assertSame(double[] expected, double[] actual, String what) {
    if (!same(expected, actual)) {
      throw new AssertionError(what + ": expected " + describe(expected) + " but was "
          + describe(actual));
    }
  }

  /** A matcher of arrays bitwise equal to {@code expected}. */
  static Matcher<double[]> equalTo(double[] expected) {
    return new TypeSafeMatcher<>() {
      @Override
      protected boolean matchesSafely(double[] actual) {
        return same(expected, actual);
      }

      @Override
      public void describeTo(Description description) {
        description.appendText("bitwise ").appendText(describe(expected));
      }

      @Override
      protected void describeMismatchSafely(double[] actual, Description mismatch) {
        mismatch.appendText("was ").appendText(describe(actual));
      }
    };
  }

  /** A matcher of matrices bitwise equal to {@code expected}, row by row. */
  static Matcher<double[][]> equalTo(double[][] expected) {
    return new TypeSafeMatcher<>() {
      @Override
      protected boolean matchesSafely(double[][] actual) {
        return same(expected, actual);
      }

      @Override
      public void describeTo(Description description) {
        description.appendText("bitwise rows ");
        for (double[] row : expected) {
          description.appendText(describe(row));
        }
      }
    };
  }
}

package org.lbfgsbeam.core.nn;

import java.util.Arrays;
import java.util.Random;

/**
 * A microbenchmark (a main class, not a test): {@link Blas#dot} and {@link Blas#axpy} against plain
 * Java loops, for vector lengths 10<sup>2</sup> &hellip; 10<sup>5</sup>, to see from which length the
 * JNI call's fixed cost stops mattering. The Java dot is the strict left-to-right sum (one accumulator);
 * the Java axpy is the element-wise loop, which the JIT vectorises. Median nanoseconds per call over
 * repeated calls after a warm-up.
 *
 * <pre>
 *   mvn -o -q -pl src test-compile
 *   mvn -o -q -pl src dependency:build-classpath -Dmdep.outputFile=cp.txt
 *   OPENBLAS_NUM_THREADS=1 java -Xmx256m -cp src/target/classes:src/target/test-classes:$(cat src/cp.txt) \
 *       org.lbfgsbeam.core.nn.BlasLevel1Bench
 * </pre>
 */
public final class BlasLevel1Bench {
  private BlasLevel1Bench() {}

  private static double sink;

  public static void main(String[] args) {
    System.out.printf("BLAS %s, OPENBLAS_NUM_THREADS=%s%n", Blas.implementationName(),
        System.getenv("OPENBLAS_NUM_THREADS"));
    System.out.printf("%8s %14s %14s %14s %14s%n", "n", "java dot ns", "blas dot ns", "java axpy ns",
        "blas axpy ns");
    Random random = new Random(1);
    for (int n : new int[] {100, 1_000, 10_000, 100_000}) {
      double[] x = random.doubles(n).toArray();
      double[] y = random.doubles(n).toArray();
      int calls = Math.max(200, 20_000_000 / n);
      long[] javaDot = new long[calls];
      long[] blasDot = new long[calls];
      long[] javaAxpy = new long[calls];
      long[] blasAxpy = new long[calls];
      for (int round = 0; round < 2; round++) { // the first round is the warm-up
        for (int c = 0; c < calls; c++) {
          long t0 = System.nanoTime();
          sink += javaDot(x, y);
          long t1 = System.nanoTime();
          sink += Blas.dot(n, x, 0, y, 0);
          long t2 = System.nanoTime();
          javaAxpy(1e-9, x, y);
          long t3 = System.nanoTime();
          Blas.axpy(n, -1e-9, x, 0, y, 0);
          long t4 = System.nanoTime();
          javaDot[c] = t1 - t0;
          blasDot[c] = t2 - t1;
          javaAxpy[c] = t3 - t2;
          blasAxpy[c] = t4 - t3;
        }
      }
      System.out.printf("%8d %14d %14d %14d %14d%n", n, median(javaDot), median(blasDot),
          median(javaAxpy), median(blasAxpy));
    }
    System.out.println(sink == 42 ? "" : "(checksum " + sink + ")");
  }

  private static double javaDot(double[] x, double[] y) {
    double sum = 0;
    for (int j = 0; j < x.length; j++) {
      sum += x[j] * y[j];
    }
    return sum;
  }

  private static void javaAxpy(double alpha, double[] x, double[] y) {
    for (int j = 0; j < x.length; j++) {
      y[j] += alpha * x[j];
    }
  }

  private static long median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}

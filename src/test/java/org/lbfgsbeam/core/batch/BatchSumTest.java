package org.lbfgsbeam.core.batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lbfgsbeam.core.testing.GradientTester;

/** The data-parallel sum: its gradient, the regulariser added once, shards and their order. */
class BatchSumTest {

  /** A batch of a least-squares problem: rows of A (row-major) and targets. */
  record Rows(double[] a, double[] b, int columns) {}

  /** The user's per-batch objective: 1/2 sum (a_i . theta - b_i)^2, as a user would write it. */
  static final BatchObjective<Rows> LEAST_SQUARES = (batch, theta, gradient) -> {
    double f = 0;
    int n = batch.columns();
    for (int i = 0; i < batch.b().length; i++) {
      double r = -batch.b()[i];
      for (int j = 0; j < n; j++) {
        r += batch.a()[i * n + j] * theta[j];
      }
      f += 0.5 * r * r;
      for (int j = 0; j < n; j++) {
        gradient[j] += r * batch.a()[i * n + j];
      }
    }
    return f;
  };

  static List<Rows> batches(int count, int rowsPerBatch, int columns, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<Rows> out = new ArrayList<>();
    for (int k = 0; k < count; k++) {
      int rows = rowsPerBatch + (k % 3); // uneven batches
      double[] a = new double[rows * columns];
      double[] b = new double[rows];
      for (int i = 0; i < a.length; i++) {
        a[i] = random.nextDouble(-1, 1);
      }
      for (int i = 0; i < rows; i++) {
        b[i] = random.nextDouble(-2, 2);
      }
      out.add(new Rows(a, b, columns));
    }
    return out;
  }

  @Test
  void gradientMatchesFiniteDifferences() {
    List<Rows> data = batches(5, 7, 6, 1);
    BatchSum<Rows> sum = BatchSum.of(LEAST_SQUARES, 6).withScale(1.0 / 40)
        .withRegularizer(L2Regularizer.onRanges(0.3, 1, 3, 4, 6));
    List<List<Rows>> shards = BatchSum.shards(data, 2);
    double[] theta = new SplittableRandom(2).doubles(6, -1, 1).toArray();
    GradientTester.Result r = GradientTester.check((x, g) -> sum.evaluate(shards, x, g), theta);
    assertTrue(r.maxError() < 1e-7, r.toString());
  }

  @Test
  void regulariserIsAddedOnceNotPerBatch() {
    List<Rows> data = batches(4, 5, 3, 3);
    double[] theta = {0.5, -1, 2};
    BatchSum<Rows> plain = BatchSum.of(LEAST_SQUARES, 3);
    BatchSum<Rows> regularised = plain.withRegularizer(Regularizer.l2(2.0));
    double[] g0 = new double[3];
    double[] g1 = new double[3];
    double f0 = plain.evaluate(BatchSum.shards(data, 4), theta, g0);
    double f1 = regularised.evaluate(BatchSum.shards(data, 4), theta, g1);
    assertEquals(f0 + 0.5 * 2.0 * (0.25 + 1 + 4), f1, 1e-12);
    assertArrayEquals(new double[] {g0[0] + 1.0, g0[1] - 2.0, g0[2] + 4.0}, g1, 1e-12);
  }

  @Test
  void shardPartialsAreSummedInShardOrder() {
    List<Rows> data = batches(9, 4, 5, 4);
    BatchSum<Rows> sum = BatchSum.of(LEAST_SQUARES, 5).withScale(0.1);
    double[] theta = {1, 2, 3, 4, 5};
    List<List<Rows>> shards = BatchSum.shards(data, 3);
    double[][] partials = new double[3][];
    for (int s = 2; s >= 0; s--) { // computed in any order
      partials[s] = sum.shardPartial(shards.get(s), theta);
    }
    double[] g = new double[5];
    double f = sum.sum(partials, theta, g);
    // The documented order, written out: f = scale * ((0 + f0) + f1 + f2).
    double expected = 0;
    for (double[] p : partials) {
      expected += p[0];
    }
    assertEquals(Double.doubleToLongBits(0.1 * expected), Double.doubleToLongBits(f));
    double[] again = new double[5];
    assertEquals(Double.doubleToLongBits(f),
        Double.doubleToLongBits(sum.evaluate(shards, theta, again)));
    assertArrayEquals(g, again, 0.0);
  }

  @Test
  void shardsAreContiguousAndShardOfAgrees() {
    for (int batches = 1; batches <= 23; batches++) {
      List<Integer> ids = new ArrayList<>();
      for (int i = 0; i < batches; i++) {
        ids.add(i);
      }
      for (int count = 1; count <= batches; count++) {
        List<List<Integer>> shards = BatchSum.shards(ids, count);
        int next = 0;
        for (int s = 0; s < count; s++) {
          assertTrue(!shards.get(s).isEmpty());
          for (int id : shards.get(s)) {
            assertEquals(next++, id);
            assertEquals(s, BatchSum.shardOf(id, batches, count), id + " of " + batches + " in " + count);
          }
        }
      }
    }
  }

  @Test
  void refusesBadArguments() {
    List<Rows> data = batches(3, 2, 2, 5);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> BatchSum.shards(data, 4));
    assertTrue(e.getMessage().contains("4"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> BatchSum.of(LEAST_SQUARES, 2).shardPartial(data, new double[3]));
    assertTrue(e.getMessage().contains("3 entries"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> BatchSum.of(LEAST_SQUARES, 2).withScale(0));
    assertThrows(IllegalArgumentException.class, () -> L2Regularizer.onRanges(1, 3, 1));
  }
}
